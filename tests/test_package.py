"""The election package: built and signed once; refused when unsigned, altered or foreign."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from ballots.definition import load_source
from ballots.errors import PackageError
from ballots.package import (
    ConfidentialPackage,
    PublicPackage,
    build_package,
    key_fingerprint,
    roll_hash,
    verify_confidential,
    verify_package,
)
from ballots.record import RecordIndex, Results, SharesFile, sums_from_json, sums_to_json
from ballots.station_link import DevStationKeys
from crypto.ceremony.rehearsal import open_ceremony, rehearse
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CryptoError
from crypto.signing import SigningKey
from hardware.idcard.testca import TAIWAN, TestCA
from tests.record_helpers import DEFINITION, PASSPHRASES, build_record

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("package")
    definition = load_source(DEFINITION)
    trustees = [SigningKey.generate() for _ in range(3)]
    params = open_ceremony(
        definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    rehearse(params, trustees, PASSPHRASES[:3]).files.write(tmp / "ceremony")
    authority = SigningKey.generate()
    booths = {b: SigningKey.generate().verify_key for b in definition.booth_ids()}
    roll = {
        s.station_id: [f"a{s.station_id}{n:08d}" for n in range(s.eligible)]
        for s in definition.stations
    }
    build_package(
        tmp / "package",
        definition.to_json(),
        tmp / "ceremony",
        authority,
        SigningKey.generate().verify_key,
        booths,
        [],
        roll,
        [],
        DevStationKeys.generate(definition).setup(),
    )
    return tmp, definition, authority, roll


@pytest.fixture
def package(made, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    shutil.copytree(made[0] / "package", tmp_path / "package")
    return tmp_path / "package"


def test_package_verifies_and_pins_the_authority(made, package: Path) -> None:  # type: ignore[no-untyped-def]
    _, definition, authority, roll = made
    verified = verify_package(package, key_fingerprint(authority.verify_key))
    assert verified.authority_pinned and verified.definition == definition
    assert not verify_package(package).authority_pinned
    confidential = verify_confidential((package / "confidential.json").read_bytes(), verified)
    entries = confidential.roll_of("S1")
    assert len(entries) == 40
    # The roll holds keyed hashes, never the identifiers; lookups are NFC and case-insensitive.
    assert roll_hash(confidential.roll_key, roll["S1"][0].upper()) in entries
    assert all(
        roll["S1"][0].encode() not in (package / name).read_bytes()
        for name in ("confidential.json", "package.json")
    )


def test_the_one_fingerprint_normaliser(made, package: Path) -> None:  # type: ignore[no-untyped-def]
    """Spaces, hyphens and case are ignored; anything but 16 base32 characters is refused."""
    from ballots.package import normalise_fingerprint

    authority = made[2]
    printed = key_fingerprint(authority.verify_key)
    typed = printed.replace(" ", "-").lower()
    assert normalise_fingerprint(typed) == printed
    assert normalise_fingerprint(" " + printed.replace(" ", "") + "\n") == printed
    assert verify_package(package, typed).authority_pinned
    for bad in ("", printed[:-1], printed + "A", printed[:-1] + "1", printed[:-1] + "=", "Ａ" * 16):
        with pytest.raises(PackageError, match=r"16 characters|A–Z"):
            normalise_fingerprint(bad)
    with pytest.raises(PackageError, match="16 characters"):
        verify_package(package, printed[:-2])


def test_wrong_authority_is_refused(package: Path) -> None:
    with pytest.raises(PackageError, match="authority key other than the one given"):
        verify_package(package, key_fingerprint(SigningKey.generate().verify_key))


def _edit(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    obj = parse_canonical_json(path.read_bytes())
    change(obj)
    path.write_bytes(canonical_json(obj))


@pytest.mark.parametrize(
    "name, change, message",
    [
        ("package.json", lambda o: o.update(signature="00" * 64), "signature does not verify"),
        ("package.json", lambda o: o.pop("signature"), "missing field 'signature'"),
        (
            "package.json",
            lambda o: o.update(tally_key=o["authority_key"]),
            "signature does not verify",
        ),
        ("definition.json", lambda o: o["stations"][0].update(eligible=41), "not the definition"),
        ("ceremony/round1/trustee-01.json", lambda o: o.update(signature="00" * 64), "altered"),
    ],
)
def test_unsigned_or_altered_packages_are_refused(
    package: Path, name: str, change, message: str
) -> None:  # type: ignore[no-untyped-def]
    _edit(package / name, change)
    with pytest.raises(PackageError, match=message):
        verify_package(package)


def test_extra_or_missing_ceremony_file_is_refused(package: Path) -> None:
    (package / "ceremony/round1/trustee-09.json").write_text("{}")
    with pytest.raises(PackageError, match="exactly the files"):
        verify_package(package)


def test_package_for_another_election_is_refused(made, package: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tmp, _, authority, roll = made
    other = load_source(
        DEFINITION.replace('referendum_id = "test-2021"', 'referendum_id = "other"')
    )
    with pytest.raises(PackageError, match="another referendum definition"):
        build_package(
            tmp_path / "p2",
            other.to_json(),
            tmp / "ceremony",
            authority,
            authority.verify_key,
            {b: authority.verify_key for b in other.booth_ids()},
            [],
            roll,
            [],
            DevStationKeys.generate(other).setup(),
        )
    # A confidential part from another package is refused.
    verified = verify_package(package)
    foreign = ConfidentialPackage.from_json((package / "confidential.json").read_bytes())
    data = ConfidentialPackage(**{**foreign.__dict__, "roll_key": bytes(32)}).to_json()
    with pytest.raises(PackageError, match="not the one this package was signed with"):
        verify_confidential(data, verified)


def test_roll_must_match_the_eligible_counts(made, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tmp, definition, authority, roll = made
    short = {**roll, "S1": roll["S1"][:-1]}
    with pytest.raises(PackageError, match="the roll has 39 distinct voters"):
        build_package(
            tmp_path / "p",
            definition.to_json(),
            tmp / "ceremony",
            authority,
            authority.verify_key,
            {b: authority.verify_key for b in definition.booth_ids()},
            [],
            short,
            [],
            DevStationKeys.generate(definition).setup(),
        )
    with pytest.raises(PackageError, match="booth keys must match"):
        build_package(
            tmp_path / "p",
            definition.to_json(),
            tmp / "ceremony",
            authority,
            authority.verify_key,
            {},
            [],
            roll,
            [],
            DevStationKeys.generate(definition).setup(),
        )


# The revocation snapshot --------------------------------------------------------------------

POLLING_DAY_END = datetime.datetime(2021, 12, 18, 23, 59, 59, tzinfo=TAIWAN)


def _der(value) -> bytes:  # type: ignore[no-untyped-def]
    return value.public_bytes(Encoding.DER)


@pytest.fixture(scope="module")
def eid_ca() -> TestCA:
    return TestCA.create()


def _build_with(made, tmp_path: Path, cas, crls) -> None:  # type: ignore[no-untyped-def]
    tmp, definition, authority, roll = made
    build_package(
        tmp_path / "p",
        definition.to_json(),
        tmp / "ceremony",
        authority,
        authority.verify_key,
        {b: authority.verify_key for b in definition.booth_ids()},
        [(f"ca-{n}.der", _der(c.certificate)) for n, c in enumerate(cas)],
        roll,
        [(f"crl-{n}.der", _der(c)) for n, c in enumerate(crls)],
        DevStationKeys.generate(definition).setup(),
    )


def test_a_ca_may_have_several_crls(made, tmp_path: Path, eid_ca: TestCA) -> None:  # type: ignore[no-untyped-def]
    _, cert = eid_ca.issue("A123456789", "ec")
    _build_with(made, tmp_path, [eid_ca], [eid_ca.crl(), eid_ca.crl([cert])])
    confidential = ConfidentialPackage.from_json((tmp_path / "p/confidential.json").read_bytes())
    assert len(confidential.revocation) == 2


def test_revocation_snapshot_a_booth_could_misread_is_refused(
    made, tmp_path: Path, eid_ca: TestCA
) -> None:  # type: ignore[no-untyped-def]
    partition = x509.IssuingDistributionPoint(
        full_name=None,
        relative_name=None,
        only_contains_user_certs=True,
        only_contains_ca_certs=False,
        only_some_reasons=None,
        indirect_crl=False,
        only_contains_attribute_certs=False,
    )
    stranger = TestCA.create("Someone Else's CA")
    same_name = TestCA.create("refvote TEST eID CA")
    cases = [
        ([eid_ca.crl(extensions=[x509.DeltaCRLIndicator(4)])], "delta CRL"),
        ([eid_ca.crl(extensions=[partition])], "partitioned CRL"),
        ([eid_ca.crl(), eid_ca.crl(extensions=[partition])], "partitioned CRL"),
        # due for renewal at noon of the polling day (Taiwan time), or the day before
        (
            [eid_ca.crl(next_update=POLLING_DAY_END - datetime.timedelta(hours=12))],
            "before the polling day 2021-12-18 ends",
        ),
        (
            [eid_ca.crl(), eid_ca.crl(next_update=POLLING_DAY_END - datetime.timedelta(days=1))],
            "before the polling day",
        ),
        ([eid_ca.crl(), stranger.crl()], "not signed by a trusted eID CA"),
        ([same_name.crl()], "not signed by a trusted eID CA"),
        ([], "no revocation list for the eID CA ca-0.der"),
    ]
    for crls, message in cases:
        with pytest.raises(PackageError, match=message):
            _build_with(made, tmp_path, [eid_ca], crls)
        assert not (tmp_path / "p").exists()
    # Due exactly at the end of the polling day is current enough.
    _build_with(made, tmp_path, [eid_ca], [eid_ca.crl(next_update=POLLING_DAY_END)])


def test_a_crl_that_is_not_der_is_refused(made, tmp_path: Path, eid_ca: TestCA) -> None:  # type: ignore[no-untyped-def]
    tmp, definition, authority, roll = made
    with pytest.raises(PackageError, match=r"crl\.der: not a valid DER CRL"):
        build_package(
            tmp_path / "p",
            definition.to_json(),
            tmp / "ceremony",
            authority,
            authority.verify_key,
            {b: authority.verify_key for b in definition.booth_ids()},
            [("ca.der", _der(eid_ca.certificate))],
            roll,
            [("crl.der", b"\x30\x03\x02\x01\x00")],
            DevStationKeys.generate(definition).setup(),
        )


# Fuzzing every loader of the package and the record -----------------------------------------


@pytest.fixture(scope="module")
def samples(made, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    record = build_record(tmp_path_factory.mktemp("rec"), ballots=6, challenged=1).folder
    return {
        "package": (made[0] / "package/package.json").read_bytes(),
        "confidential": (made[0] / "package/confidential.json").read_bytes(),
        "index": (record / "index.json").read_bytes(),
        "sums": (record / "tally/sums.json").read_bytes(),
        "shares": (record / "tally/shares/trustee-01.json").read_bytes(),
        "results": (record / "tally/results.json").read_bytes(),
    }


LOADERS = {
    "package": PublicPackage.from_json,
    "confidential": ConfidentialPackage.from_json,
    "index": RecordIndex.from_json,
    "sums": sums_from_json,
    "shares": SharesFile.from_json,
    "results": Results.from_json,
}
# How each loaded file is written back.
SERIALISERS: dict[str, Callable[[Any], bytes]] = {
    **{kind: (lambda obj: obj.to_json()) for kind in LOADERS if kind != "sums"},
    "sums": lambda loaded: sums_to_json(*loaded),
}


def test_loaders_round_trip(samples: dict[str, bytes]) -> None:
    for kind in ("package", "confidential", "index", "shares", "results"):
        assert LOADERS[kind](samples[kind]).to_json() == samples[kind]  # type: ignore[attr-defined]


@settings(max_examples=120)
@given(st.sampled_from(sorted(LOADERS)), st.data())
def test_mutated_files_give_clean_errors(
    samples: dict[str, bytes], kind: str, data: st.DataObject
) -> None:
    # The honest file loads and writes back to the same bytes: a loader that always raises fails.
    assert SERIALISERS[kind](LOADERS[kind](samples[kind])) == samples[kind]
    raw = bytearray(samples[kind])
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    try:
        loaded = LOADERS[kind](bytes(raw))
    except CryptoError:
        return
    assert SERIALISERS[kind](loaded) == bytes(raw)  # accepted means exactly that file


@given(st.binary(max_size=200))
def test_random_bytes_give_clean_errors(samples: dict[str, bytes], data: bytes) -> None:
    for kind, loader in LOADERS.items():
        assert SERIALISERS[kind](loader(samples[kind])) == samples[kind]
        try:
            loaded = loader(data)
        except CryptoError:
            continue
        assert SERIALISERS[kind](loaded) == data


# The command line --------------------------------------------------------------------------


def refvote(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "REFVOTE_LANG": "en"},
    )


def test_freeze_keys_build_inspect(made, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, definition, _, roll = made
    source = tmp_path / "def.toml"
    source.write_text(DEFINITION, encoding="utf-8")
    out = refvote("package", "freeze", str(source), "--out", str(tmp_path / "definition.json"))
    assert out.returncode == 0, out.stderr
    assert definition.manifest_hash().hex() in out.stdout
    again = refvote("package", "freeze", str(source), "--out", str(tmp_path / "definition.json"))
    assert again.returncode == 2 and "frozen once" in again.stderr
    keys = refvote(
        "dev",
        "keys",
        "--definition",
        str(tmp_path / "definition.json"),
        "--out",
        str(tmp_path / "keys"),
    )
    assert keys.returncode == 0, keys.stderr
    assert "DEMO keys" in keys.stdout
    assert oct((tmp_path / "keys/authority.key.json").stat().st_mode & 0o777) == "0o600"
    csv_path = tmp_path / "roll.csv"
    csv_path.write_text(
        "station_id,serial_number\n" + "".join(f"{s},{v}\n" for s, vs in roll.items() for v in vs),
        encoding="utf-8",
    )
    # A ceremony for this definition (the CLI ceremony comes with the tally station).
    trustees = [SigningKey.generate() for _ in range(3)]
    params = open_ceremony(
        definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
    )
    rehearse(params, trustees, PASSPHRASES[:3]).files.write(tmp_path / "ceremony")
    build = refvote(
        "package",
        "build",
        "--definition",
        str(tmp_path / "definition.json"),
        "--ceremony",
        str(tmp_path / "ceremony"),
        "--authority-key",
        str(tmp_path / "keys/authority.key.json"),
        "--booth-keys",
        str(tmp_path / "keys/booths"),
        "--tally-key",
        str(tmp_path / "keys/tally.pub.json"),
        "--station-keys",
        str(tmp_path / "keys/stations"),
        "--pins",
        str(tmp_path / "keys/poll-worker-pins.csv"),
        "--roll",
        str(csv_path),
        "--out",
        str(tmp_path / "package"),
    )
    assert build.returncode == 0, build.stderr
    fingerprint = build.stdout.strip().splitlines()[-1].split("authority key ")[1]
    inspect = refvote("package", "inspect", str(tmp_path / "package"), "--authority", fingerprint)
    assert inspect.returncode == 0, inspect.stderr
    assert (
        "第17案" in inspect.stdout
        and "2 of 3" in inspect.stdout
        and "70 voters on the roll" in inspect.stdout
    )
    _edit(tmp_path / "package/definition.json", lambda o: o.update(title_en="Altered"))
    refused = refvote("package", "inspect", str(tmp_path / "package"))
    assert (
        refused.returncode == 1
        and "REFUSED" in refused.stderr
        and "not the definition" in refused.stderr
    )


def test_build_with_a_bad_roll_names_the_problem(tmp_path: Path) -> None:
    source = tmp_path / "def.toml"
    source.write_text(DEFINITION, encoding="utf-8")
    bad = tmp_path / "roll.csv"
    bad.write_text("station,serial\nS1,A1\n", encoding="utf-8")
    out = refvote(
        "package",
        "build",
        "--definition",
        str(source),
        "--ceremony",
        str(tmp_path),
        "--authority-key",
        str(tmp_path / "none.json"),
        "--booth-keys",
        str(tmp_path),
        "--tally-key",
        str(tmp_path / "none.json"),
        "--station-keys",
        str(tmp_path),
        "--pins",
        str(tmp_path / "none.csv"),
        "--roll",
        str(bad),
        "--out",
        str(tmp_path / "out"),
    )
    assert out.returncode == 2 and "no such key file" in out.stderr
    assert not (tmp_path / "out").exists()
