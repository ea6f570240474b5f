"""A trustee's medium: the package it pins, what it refuses to decrypt, and crash safety.

The ceremony runs through the trustees' media (tally.ceremony.rehearse and ceremony_step),
the package is built and accepted by each trustee, simulated booths vote, and the tally
station prepares the pre-decryption record. An insider then re-keys the election (new
authority, tally and booth keys re-signing the real definition and the real ceremony): every
trustee must refuse that record.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ballots.definition import load_source
from ballots.export import BoothExport
from ballots.package import build_package, key_fingerprint, verify_package
from ballots.record import PRE_DECRYPTION
from ballots.station_link import DevStationKeys
from crypto.ceremony.folder import CeremonyFiles, verify_ceremony
from crypto.ceremony.messages import Round1Message
from crypto.ceremony.public import judge_complaint
from crypto.ceremony.trustee import TrusteeDevice
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CeremonyError, CryptoError, TrusteeFault
from crypto.hashing import file_fingerprint, group_for_reading
from crypto.signing import SigningKey
from tally.ceremony import collect, open_ceremony, rehearse
from tally.station import TallyStation
from tally.trustee import (
    PIN,
    SHARE,
    STATE,
    DecryptionReview,
    TrusteeMedium,
    accept_package,
    ceremony_step,
    trustee_decrypt,
)
from tally.verify import verify_record
from tests.ballot_exports import simulate_station_day
from tests.record_helpers import DEFINITION

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASES = [f"medium passphrase {t}" for t in range(1, 4)]


@dataclass
class Election:
    tmp: Path
    fingerprint: str  # the real authority's
    rekeyed_fingerprint: str  # the insider's
    media: list[Path]


def _package(
    tmp: Path, name: str, ceremony: Path, definition_json: bytes, booths: list[str]
) -> tuple[Path, SigningKey, SigningKey, dict[str, SigningKey]]:
    definition = load_source(DEFINITION)
    authority, tally_key = SigningKey.generate(), SigningKey.generate()
    booth_keys = {b: SigningKey.generate() for b in booths}
    roll = {
        s.station_id: [f"M{s.station_id}{n:08d}" for n in range(s.eligible)]
        for s in definition.stations
    }
    build_package(
        tmp / name,
        definition_json,
        ceremony,
        authority,
        tally_key.verify_key,
        {b: k.verify_key for b, k in booth_keys.items()},
        [],
        roll,
        [],
        DevStationKeys.generate(definition).setup(),
    )
    return tmp / name, authority, tally_key, booth_keys


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    tmp = tmp_path_factory.mktemp("medium")
    definition = load_source(DEFINITION)
    booths = list(definition.booth_ids())
    rehearse(tmp / "ceremony", tmp / "media", definition.manifest_hash(), 3, 2, PASSPHRASES)
    media = [tmp / "media" / f"trustee-{t:02d}" for t in range(1, 4)]
    package, authority, tally_key, booth_keys = _package(
        tmp, "package", tmp / "ceremony", definition.to_json(), booths
    )
    fingerprint = key_fingerprint(authority.verify_key)
    for t, folder in enumerate(media, 1):
        accept_package(TrusteeMedium(folder), package, PASSPHRASES[t - 1], fingerprint)
    ctx = verify_package(package, fingerprint).context
    exports, _ = simulate_station_day(ctx, booth_keys, 6, seed=3)
    station = TallyStation(tmp / "ws")
    station.init(package, fingerprint)
    for e in exports:
        station.import_export(e.to_json())
    station.prepare(tmp / "pre", tally_key)

    # The insider: new authority, tally and booth keys over the real definition and ceremony.
    forged, authority2, tally2, booth2 = _package(
        tmp, "package-rekeyed", package / "ceremony", definition.to_json(), booths
    )
    rekeyed_fingerprint = key_fingerprint(authority2.verify_key)
    insider = TallyStation(tmp / "ws-rekeyed")
    insider.init(forged, rekeyed_fingerprint)
    for e in exports:
        unsigned = dataclasses.replace(e, signature=b"")
        resigned = BoothExport(
            **{
                **unsigned.__dict__,
                "signature": booth2[e.booth_id].sign("export", *unsigned.payload()),
            }
        )
        insider.import_export(resigned.to_json())
    insider.prepare(tmp / "rekeyed", tally2)
    return Election(tmp, fingerprint, rekeyed_fingerprint, media)


def _copy(election: Election, t: int, tmp_path: Path) -> TrusteeMedium:
    target = tmp_path / f"medium-{t}"
    shutil.copytree(election.media[t - 1], target)
    return TrusteeMedium(target)


# Item 1: the trustee's trust anchor ----------------------------------------------------------


def test_an_honest_record_decrypts_and_the_trustee_sees_every_sum(
    election: Election, tmp_path: Path
) -> None:
    seen: list[DecryptionReview] = []
    medium = _copy(election, 1, tmp_path)
    index, path = trustee_decrypt(
        medium, election.tmp / "pre", PASSPHRASES[0], election.fingerprint, review=seen.append
    )
    assert index == 1 and path.is_file()
    (review,) = seen
    package_bytes = (election.tmp / "package/package.json").read_bytes()
    assert review.package == group_for_reading(file_fingerprint(package_bytes))
    assert review.authority == election.fingerprint
    sums = parse_canonical_json((election.tmp / "pre/tally/sums.json").read_bytes())["sums"]
    assert [(s.station_id, s.question_id, s.ballots) for s in review.sums] == [
        (s["station_id"], s["question_id"], len(s["ballots"])) for s in sums
    ]


def test_a_rekeyed_record_is_refused_by_every_trustee(election: Election, tmp_path: Path) -> None:
    # The forgery is internally consistent: pinned to its own authority, it verifies.
    assert verify_record(
        election.tmp / "rekeyed",
        election.rekeyed_fingerprint,
        out=_Null(),
        expect=PRE_DECRYPTION,  # the verifier checks a pre-decryption record only when asked
    )
    for t in range(1, 4):
        medium = _copy(election, t, tmp_path)
        with pytest.raises(CeremonyError, match="not the package this medium accepted"):
            trustee_decrypt(
                medium, election.tmp / "rekeyed", PASSPHRASES[t - 1], election.fingerprint
            )
        with pytest.raises(CeremonyError, match="not the one this medium accepted"):
            trustee_decrypt(
                medium, election.tmp / "rekeyed", PASSPHRASES[t - 1], election.rekeyed_fingerprint
            )
        assert not (medium.folder / "outbox/shares").exists()


def test_decrypt_requires_the_authority_fingerprint(election: Election, tmp_path: Path) -> None:
    medium = _copy(election, 2, tmp_path)
    with pytest.raises(CeremonyError, match=r"authority's fingerprint .* is required"):
        trustee_decrypt(medium, election.tmp / "pre", PASSPHRASES[1], " ")
    (tmp_path / "pass").write_text(PASSPHRASES[1] + "\n", encoding="utf-8")
    command = ["trustee", "decrypt", "--medium", str(medium.folder), "--record"]
    command += [str(election.tmp / "pre"), "--passphrase-file", str(tmp_path / "pass")]
    out = subprocess.run(
        [sys.executable, "-m", "refvote.cli", *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert out.returncode == 2 and "--authority" in out.stderr
    assert not (medium.folder / "outbox/shares").exists()


def test_decrypt_refuses_a_medium_that_accepted_no_package(
    election: Election, tmp_path: Path
) -> None:
    medium = _copy(election, 3, tmp_path)
    (medium.folder / PIN).unlink()
    with pytest.raises(CeremonyError, match="has accepted no election package"):
        trustee_decrypt(medium, election.tmp / "pre", PASSPHRASES[2], election.fingerprint)


def test_a_pin_altered_without_the_passphrase_is_refused(
    election: Election, tmp_path: Path
) -> None:
    medium = _copy(election, 1, tmp_path)
    pin = parse_canonical_json((medium.folder / PIN).read_bytes())
    forged = election.tmp / "rekeyed/package/package.json"
    pin["package"] = file_fingerprint(forged.read_bytes()).hex()
    (medium.folder / PIN).write_bytes(canonical_json(pin))
    with pytest.raises(CeremonyError, match="not signed by this trustee's identity"):
        trustee_decrypt(
            medium, election.tmp / "rekeyed", PASSPHRASES[0], election.rekeyed_fingerprint
        )


def test_accept_pins_one_package_only(election: Election, tmp_path: Path) -> None:
    medium = _copy(election, 2, tmp_path)
    before = (medium.folder / PIN).read_bytes()
    again = accept_package(medium, election.tmp / "package", PASSPHRASES[1], election.fingerprint)
    assert again.package == file_fingerprint((election.tmp / "package/package.json").read_bytes())
    assert (medium.folder / PIN).read_bytes() == before
    with pytest.raises(CeremonyError, match="already accepted another election package"):
        accept_package(
            medium, election.tmp / "package-rekeyed", PASSPHRASES[1], election.rekeyed_fingerprint
        )
    with pytest.raises(CryptoError, match="authority key other than the one given"):
        accept_package(
            medium, election.tmp / "package-rekeyed", PASSPHRASES[1], election.fingerprint
        )
    assert (medium.folder / PIN).read_bytes() == before


def test_accept_refuses_a_medium_whose_ceremony_did_not_finish(
    election: Election, tmp_path: Path
) -> None:
    medium = TrusteeMedium(tmp_path / "fresh")
    medium.init("Fresh", "pw")
    with pytest.raises(CeremonyError, match="holds no finished ceremony"):
        accept_package(medium, election.tmp / "package", "pw", election.fingerprint)


class _Null:
    def write(self, text: str) -> int:
        return len(text)


# The ceremony through media ------------------------------------------------------------------


def _open(tmp_path: Path, n: int, k: int) -> list[TrusteeMedium]:
    media = [TrusteeMedium(tmp_path / f"m{t}") for t in range(1, n + 1)]
    keys = [m.init(f"T{t}", f"pw{t}") for t, m in enumerate(media, 1)]
    open_ceremony(tmp_path / "c", bytes(32), k, [(f"T{t}", key) for t, key in enumerate(keys, 1)])
    return media


def _round(media: list[TrusteeMedium], tmp_path: Path, only: list[int] | None = None) -> None:
    for t, m in enumerate(media, 1):
        if only is None or t in only:
            ceremony_step(m, tmp_path / "c", f"pw{t}")
    collect(tmp_path / "c", [m.folder for t, m in enumerate(media, 1) if only is None or t in only])


def _flip(path: Path, member: str) -> None:
    obj = parse_canonical_json(path.read_bytes())
    value = obj[member]
    obj[member] = ("1" if value[0] != "1" else "2") + value[1:]
    path.write_bytes(canonical_json(obj))


def test_an_envelope_altered_in_transit_names_the_dealer_not_the_recipient(
    tmp_path: Path,
) -> None:
    media = _open(tmp_path, 3, 2)
    for _ in range(3):  # commit; reveal; confirm and send
        _round(media, tmp_path)
    # The envelope from trustee 2 to trustee 3 has its signature altered in the folder.
    _flip(tmp_path / "c/round2/from-02-to-03.json", "signature")
    report = ceremony_step(media[2], tmp_path / "c", "pw3")
    assert "COMPLAINED against trustee(s) 2" in report.did
    complaint = parse_canonical_json(
        (media[2].folder / "outbox/complaints/by-03-against-02.json").read_bytes()
    )
    assert complaint["envelope"] is None
    status = collect(tmp_path / "c", [media[2].folder])
    assert status.named == 2, status.status
    files = CeremonyFiles.read(tmp_path / "c")
    assert judge_complaint(files.params, files.messages, files.envelopes, files.complaints[0]) == 2
    with pytest.raises(TrusteeFault) as info:
        verify_ceremony(files)
    assert info.value.trustee == 2


def test_the_device_refuses_commitments_other_than_those_it_revealed_against(
    tmp_path: Path,
) -> None:
    media = _open(tmp_path, 2, 2)
    _round(media, tmp_path)  # both commit
    _round(media, tmp_path, only=[1])  # trustee 1 sees both commitments and reveals
    # Trustee 2, having seen trustee 1's message, publishes a different commitment and message.
    _, identity = media[1].identity("pw2")
    files = CeremonyFiles.read(tmp_path / "c")
    rogue = TrusteeDevice(files.params, 2, identity)
    commit = rogue.round1()
    files.commits[2] = commit
    rogue.reveal(files.commits)
    assert rogue.revealed is not None
    (tmp_path / "c/round1-commit/trustee-02.json").write_bytes(commit.to_json(files.params))
    (tmp_path / "c/round1").mkdir(exist_ok=True)
    (tmp_path / "c/round1/trustee-02.json").write_bytes(rogue.revealed.to_json(files.params))
    with pytest.raises(CeremonyError, match=r"commitments of trustees \[2\] differ"):
        ceremony_step(media[0], tmp_path / "c", "pw1")


def test_the_device_refuses_a_folder_other_than_the_transcript_it_confirmed(
    tmp_path: Path,
) -> None:
    media = _open(tmp_path, 2, 2)
    for _ in range(3):
        _round(media, tmp_path)
    # Both commitment and message of trustee 2 replaced after trustee 1 confirmed.
    files = CeremonyFiles.read(tmp_path / "c")
    _, identity = media[1].identity("pw2")
    rogue = TrusteeDevice(files.params, 2, identity)
    commit = rogue.round1()
    files.commits[2] = commit
    message: Round1Message = rogue.reveal(files.commits)
    (tmp_path / "c/round1-commit/trustee-02.json").write_bytes(commit.to_json(files.params))
    (tmp_path / "c/round1/trustee-02.json").write_bytes(message.to_json(files.params))
    with pytest.raises(CeremonyError, match="differ from the ones this device revealed against"):
        ceremony_step(media[0], tmp_path / "c", "pw1")


def test_an_unsigned_commitment_stops_the_reveal(tmp_path: Path) -> None:
    media = _open(tmp_path, 2, 2)
    _round(media, tmp_path)
    _flip(tmp_path / "c/round1-commit/trustee-02.json", "signature")
    with pytest.raises(TrusteeFault, match="trustee 2: round-1 commitment"):
        ceremony_step(media[0], tmp_path / "c", "pw1")
    assert not (media[0].folder / "outbox/round1").exists()


def test_load_state_wipes_the_decrypted_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tally.trustee as module

    media = _open(tmp_path, 2, 2)
    _round(media, tmp_path)
    opened: list[bytearray] = []
    real = module.open_with_passphrase

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        plain = real(*args, **kwargs)
        opened.append(plain)
        return plain

    monkeypatch.setattr(module, "open_with_passphrase", spy)
    ceremony_step(media[0], tmp_path / "c", "pw1")  # identity, then the state
    assert len(opened) == 2 and all(len(b) > 0 for b in opened)
    assert all(not any(b) for b in opened), "a decrypted secret was left in memory"


# Crash safety (issue 10 item 1) --------------------------------------------------------------


class PowerCut(Exception):
    pass


def _to_last_step(tmp_path: Path) -> list[TrusteeMedium]:
    media = _open(tmp_path, 2, 2)
    for _ in range(3):
        _round(media, tmp_path)
    return media


def test_a_crash_while_sealing_the_share_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = _to_last_step(tmp_path)
    commit = (media[0].folder / "outbox/round1-commit/trustee-01.json").read_bytes()
    real = TrusteeMedium.write

    def cut(self: TrusteeMedium, relative: str, data: bytes) -> Path:
        if relative == SHARE:
            raise PowerCut
        return real(self, relative, data)

    monkeypatch.setattr(TrusteeMedium, "write", cut)
    with pytest.raises(PowerCut):
        ceremony_step(media[0], tmp_path / "c", "pw1")
    monkeypatch.setattr(TrusteeMedium, "write", real)
    report = ceremony_step(media[0], tmp_path / "c", "pw1")
    assert report.done and "sealed its key share" in report.did
    assert (media[0].folder / SHARE).is_file() and not (media[0].folder / STATE).exists()
    assert (media[0].folder / "outbox/round1-commit/trustee-01.json").read_bytes() == commit


def test_a_crash_after_sealing_before_the_state_goes_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = _to_last_step(tmp_path)

    def cut(self: TrusteeMedium) -> None:
        raise PowerCut

    real = TrusteeMedium.remove_state
    monkeypatch.setattr(TrusteeMedium, "remove_state", cut)
    with pytest.raises(PowerCut):
        ceremony_step(media[0], tmp_path / "c", "pw1")
    share = (media[0].folder / SHARE).read_bytes()
    assert (media[0].folder / STATE).is_file()
    monkeypatch.setattr(TrusteeMedium, "remove_state", real)
    report = ceremony_step(media[0], tmp_path / "c", "pw1")
    assert report.done
    assert (media[0].folder / SHARE).read_bytes() == share  # resumed, not sealed again
    assert not (media[0].folder / STATE).exists()
    ceremony_step(media[1], tmp_path / "c", "pw2")
    status = collect(tmp_path / "c", [m.folder for m in media])
    assert status.joint is not None, status.status
    again = ceremony_step(media[0], tmp_path / "c", "pw1")
    assert again.done and "finished" in again.did


def test_a_lost_state_after_committing_is_refused_not_restarted(tmp_path: Path) -> None:
    media = _open(tmp_path, 2, 2)
    _round(media, tmp_path)
    commit = (media[0].folder / "outbox/round1-commit/trustee-01.json").read_bytes()
    (media[0].folder / STATE).unlink()
    with pytest.raises(CeremonyError, match="refusing to start round 1 again"):
        ceremony_step(media[0], tmp_path / "c", "pw1")
    assert (media[0].folder / "outbox/round1-commit/trustee-01.json").read_bytes() == commit


def test_a_crash_before_the_commitment_is_written_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = _open(tmp_path, 2, 2)
    real = TrusteeMedium.write

    def cut(self: TrusteeMedium, relative: str, data: bytes) -> Path:
        if relative.startswith("outbox/"):
            raise PowerCut
        return real(self, relative, data)

    monkeypatch.setattr(TrusteeMedium, "write", cut)
    with pytest.raises(PowerCut):
        ceremony_step(media[0], tmp_path / "c", "pw1")
    monkeypatch.setattr(TrusteeMedium, "write", real)
    report = ceremony_step(media[0], tmp_path / "c", "pw1")
    assert report.did == "nothing"  # the same commitment, written now; waiting for trustee 2
    assert (media[0].folder / "outbox/round1-commit/trustee-01.json").is_file()


def test_the_medium_is_locked_while_a_command_runs(tmp_path: Path) -> None:
    media = _open(tmp_path, 2, 2)
    with media[0].lock(), pytest.raises(CeremonyError, match="another refvote command"):
        ceremony_step(media[0], tmp_path / "c", "pw1")
