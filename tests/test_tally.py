"""The tally station end to end through the command line, and every fault it must name.

Ceremony 3 of 5 step by step on five trustee media; 3 stations × 2 booths of simulated
voters; import; decryption by trustees 2, 4 and 5; publish; reports; verify.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from ballots.definition import load_source
from ballots.export import BoothExport
from ballots.package import verify_package
from ballots.record import Results
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.errors import CeremonyError, DecryptionFailed, ThresholdError, TrusteeFault
from crypto.keyfile import read_signing_key
from crypto.signing import SigningKey
from tally.station import ImportRejected, TallyStation
from tally.trustee import TrusteeMedium, trustee_decrypt
from tests.ballot_exports import Expected, simulate_station_day

ROOT = Path(__file__).resolve().parent.parent
STATIONS = """
referendum_id = "E2E-2021"
date = "2021-12-18"
title_zh = "全國性公民投票（端對端測試）"
title_en = "National referendum (end-to-end test)"
{questions}
[[stations]]
station_id = "A1"
name = "甲投開票所"
county = "臺北市"
township = "中正區"
eligible = 40
booths = ["A1-1", "A1-2"]

[[stations]]
station_id = "A2"
name = "乙投開票所"
county = "臺北市"
township = "大安區"
eligible = 35
booths = ["A2-1", "A2-2"]

[[stations]]
station_id = "B1"
name = "丙投開票所"
county = "高雄市"
township = "苓雅區"
eligible = 30
booths = ["B1-1", "B1-2"]
"""


def refvote(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "refvote.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=600,
    )


def ok(*args: str) -> str:
    out = refvote(*args)
    assert out.returncode == 0, f"refvote {' '.join(args)}\n{out.stdout}\n{out.stderr}"
    return out.stdout


@dataclass
class Election:
    tmp: Path
    expected: Expected
    exports: list[BoothExport]
    fingerprint: str
    publish_output: str


def _definition_source() -> str:
    example = (ROOT / "examples/referendum-2021.toml").read_text(encoding="utf-8")
    questions = example[example.index("[[questions]]") : example.index("[[stations]]")]
    return STATIONS.format(questions=questions)


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    tmp = tmp_path_factory.mktemp("e2e")
    (tmp / "definition.toml").write_text(_definition_source(), encoding="utf-8")
    ok("package", "freeze", str(tmp / "definition.toml"), "--out", str(tmp / "definition.json"))
    # Five trustees, each with its own medium and passphrase.
    trustee_args = []
    for t in range(1, 6):
        (tmp / f"pass-{t}").write_text(f"passphrase of trustee {t}\n", encoding="utf-8")
        ok(
            "trustee",
            "init",
            "--medium",
            str(tmp / f"medium-{t}"),
            "--name",
            f"Trustee {t}",
            "--passphrase-file",
            str(tmp / f"pass-{t}"),
        )
        trustee_args += ["--trustee", f"Trustee {t}={tmp / f'medium-{t}' / 'identity.pub.json'}"]
    opened = ok(
        "tally",
        "ceremony",
        "open",
        "--definition",
        str(tmp / "definition.json"),
        "--k",
        "3",
        *trustee_args,
        "--out",
        str(tmp / "ceremony"),
    )
    assert "ceremony nonce (read aloud)" in opened and "threshold: 3 of 5" in opened
    status = ""
    for _ in range(4):
        for t in range(1, 6):
            ok(
                "trustee",
                "step",
                "--medium",
                str(tmp / f"medium-{t}"),
                "--ceremony",
                str(tmp / "ceremony"),
                "--passphrase-file",
                str(tmp / f"pass-{t}"),
            )
        status = ok(
            "tally",
            "ceremony",
            "collect",
            "--ceremony",
            str(tmp / "ceremony"),
            *[str(tmp / f"medium-{t}") for t in range(1, 6)],
        )
    assert "status: complete" in status, status
    assert all((tmp / f"medium-{t}" / "share.json").is_file() for t in range(1, 6))
    assert not any((tmp / f"medium-{t}" / "state.json").exists() for t in range(1, 6))
    # Keys, roll and the signed package.
    ok("dev", "keys", "--definition", str(tmp / "definition.json"), "--out", str(tmp / "keys"))
    definition = load_source(_definition_source())
    (tmp / "roll.csv").write_text(
        "station_id,serial_number\n"
        + "".join(
            f"{s.station_id},N{s.station_id}{i:07d}\n"
            for s in definition.stations
            for i in range(s.eligible)
        ),
        encoding="utf-8",
    )
    built = ok(
        "package",
        "build",
        "--definition",
        str(tmp / "definition.json"),
        "--ceremony",
        str(tmp / "ceremony"),
        "--authority-key",
        str(tmp / "keys/authority.key.json"),
        "--booth-keys",
        str(tmp / "keys/booths"),
        "--tally-key",
        str(tmp / "keys/tally.pub.json"),
        "--station-keys",
        str(tmp / "keys/stations"),
        "--pins",
        str(tmp / "keys/poll-worker-pins.csv"),
        "--roll",
        str(tmp / "roll.csv"),
        "--out",
        str(tmp / "package"),
    )
    fingerprint = built.strip().splitlines()[-1].split("authority key ")[1]
    # Each trustee pins the signed package on its medium.
    for t in range(1, 6):
        accepted = ok(
            "trustee",
            "accept",
            str(tmp / "package"),
            "--medium",
            str(tmp / f"medium-{t}"),
            "--authority",
            fingerprint,
            "--passphrase-file",
            str(tmp / f"pass-{t}"),
        )
        assert "package fingerprint" in accepted
    # Polling day: simulated booths, their exports on media.
    ctx = verify_package(tmp / "package", fingerprint).context
    booth_keys = {
        b: read_signing_key(tmp / "keys/booths" / f"{b}.key.json", "booth")[1]
        for b in definition.booth_ids()
    }
    exports, expected = simulate_station_day(ctx, booth_keys, 25, seed=5)
    for e in exports:
        (tmp / "media" / e.booth_id).mkdir(parents=True)
        (tmp / "media" / e.booth_id / "export.json").write_bytes(e.to_json())
    # The tally station.
    ok(
        "tally",
        "init",
        "--package",
        str(tmp / "package"),
        "--workspace",
        str(tmp / "ws"),
        "--authority",
        fingerprint,
    )
    imported = ok("tally", "import", "--workspace", str(tmp / "ws"), str(tmp / "media"))
    assert "6 accepted, 0 rejected; 0 booths still to import" in imported
    ok(
        "tally",
        "prepare",
        "--workspace",
        str(tmp / "ws"),
        "--tally-key",
        str(tmp / "keys/tally.key.json"),
        "--out",
        str(tmp / "pre"),
    )
    for t in (2, 4, 5):
        ok(
            "trustee",
            "decrypt",
            "--medium",
            str(tmp / f"medium-{t}"),
            "--record",
            str(tmp / "pre"),
            "--authority",
            fingerprint,
            "--passphrase-file",
            str(tmp / f"pass-{t}"),
        )
    accepted = ok(
        "tally",
        "combine-shares",
        "--workspace",
        str(tmp / "ws"),
        *[str(tmp / f"medium-{t}") for t in (2, 4, 5)],
    )
    assert "valid shares from trustees [2, 4, 5]" in accepted
    published = ok(
        "tally",
        "publish",
        "--workspace",
        str(tmp / "ws"),
        "--tally-key",
        str(tmp / "keys/tally.key.json"),
        "--out",
        str(tmp / "record"),
        "--reports",
        str(tmp / "reports"),
        "--authority",
        fingerprint,
    )
    return Election(tmp, expected, exports, fingerprint, published)


def test_results_equal_the_simulated_choices(election: Election) -> None:
    results = Results.from_json((election.tmp / "record/tally/results.json").read_bytes())
    assert results.quorum == (2, 4, 5)
    for d in results.decrypted:
        want = election.expected.counts.get((d.station_id, d.question_id), [0, 0, 0])
        assert [d.count.yes, d.count.no, d.count.blank] == want, (d.station_id, d.question_id)
    assert "every check passed" in election.publish_output


def test_verify_passes_pinned_to_the_authority(election: Election) -> None:
    out = ok("verify", str(election.tmp / "record"), "--authority", election.fingerprint)
    assert "V14" in out and "every check passed" in out and "NOTE" not in out


def test_pdfs_render_and_hold_the_numbers(election: Election, tmp_path: Path) -> None:
    reports = election.tmp / "reports"
    results = Results.from_json((election.tmp / "record/tally/results.json").read_bytes())
    for name in ("station-A1.pdf", "station-B1.pdf", "summary-county.pdf", "summary-national.pdf"):
        subprocess.run(
            ["pdftoppm", "-r", "40", "-png", str(reports / name), str(tmp_path / name)], check=True
        )
        pngs = list(tmp_path.glob(f"{name}*.png"))
        assert pngs and all(p.stat().st_size > 5000 for p in pngs)
    text = subprocess.run(
        ["pdftotext", "-layout", str(reports / "station-A1.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "投開票所開票報告表" in text and "第17案" in text and "甲投開票所" in text
    assert "中華民國110年12月18日" in text
    exports = {e.booth_id: e for e in election.exports}
    voters = exports["A1-1"].counts.cast + exports["A1-2"].counts.cast
    assert f"投票人數 Voters：{voters:,}" in text
    for t in results.totals:
        if t.level == "station" and t.area == "A1":
            case = load_source(_definition_source()).question(t.question_id).case_number
            line = next(
                row
                for row in text.splitlines()
                if row.strip().startswith(case) and "主文" not in row
            )
            numbers = [
                int(x.replace(",", "")) for x in line.split() if x.replace(",", "").isdigit()
            ]
            # 投票權人數, 投票數, 有效, 同意, 不同意, 無效（含空白）, 不領取
            assert numbers == [
                t.eligible,
                t.count.ballots,
                t.count.yes + t.count.no,
                t.count.yes,
                t.count.no,
                t.count.blank,
                voters - t.count.ballots,
            ]
    national = subprocess.run(
        ["pdftotext", str(reports / "summary-national.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for _, o in results.outcomes:
        assert f"{o.threshold:,}" in national
    assert "通過" in national and "FAILED" not in national and "PASSED" not in national
    rows = (reports / "results.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].startswith("層級 level,地區 area,案號 case_number,")
    assert len(rows) == 1 + len(results.totals)
    exported = json.loads((reports / "results.json").read_text(encoding="utf-8"))
    assert [o["passed"] for o in exported["outcomes"]] == [o.passed for _, o in results.outcomes]


def test_publish_prints_each_outcome_in_the_acts_words(election: Election) -> None:
    """The fixture runs in English (tests/conftest.py): the outcome word is the catalog's, the
    reasons are the Act's own words in every language."""
    from ballots.rule import article29

    results = Results.from_json((election.tmp / "record/tally/results.json").read_bytes())
    for qid, o in results.outcomes:
        case = load_source(_definition_source()).question(qid).case_number
        line = next(x for x in election.publish_output.splitlines() if x.startswith(f"  {case}:"))
        # Independent: Art. 29 again from the line's own figures.
        again = article29(o.eligible, o.yes, o.no)
        word = "PASSED" if again.passed else "NOT PASSED"
        assert f"yes {o.yes:,}  no {o.no:,}  threshold {-(-o.eligible // 4):,}  {word}" in line
        if o.yes <= o.no:
            assert "有效同意票未多於不同意票" in line
        if o.yes < -(-o.eligible // 4):
            assert "有效同意票數未達投票權人總額四分之一" in line
        assert "FAILED" not in line


def test_package_inspect_shows_the_full_main_text(election: Election) -> None:
    out = ok(
        "package", "inspect", str(election.tmp / "package"), "--authority", election.fingerprint
    )
    for q in load_source(_definition_source()).questions:
        assert f"  主文：{q.text_zh}\n" in out, q.case_number
        assert f"簡稱（定義檔所給）：{q.short_title_zh} / {q.short_title_en}" in out


def test_lookup_by_tracking_code(election: Election) -> None:
    from ballots.chain import replay, short_code
    from ballots.export import Status

    export = next(e for e in election.exports if e.counts.challenged)
    base = export.base
    printed = replay(base, export.booth_id, export.opening_nonce, export.chain).codes
    by_hash = {b.ballot.hash(base): b for b in export.ballots}
    record, pin = str(election.tmp / "record"), election.fingerprint
    seen = set()
    for entry, code in zip(export.chain, printed, strict=True):
        b = by_hash.get(entry.ballot_hash)
        if b is None or b.status in seen:
            continue
        seen.add(b.status)  # one cast and one challenged ballot: each lookup verifies it all
        out = ok("lookup", short_code(code).lower().replace(" ", "-"), record, "--authority", pin)
        assert code.hex() in out
        if b.status is Status.CHALLENGED:
            assert "CHALLENGED" in out
            assert "第17案" in out or "第18案" in out or "第19案" in out or "第20案" in out
        else:
            assert "CAST and COUNTED" in out
    missing = refvote("lookup", "AAAA AAAA AAAA AAAA", record, "--authority", pin)
    assert missing.returncode == 1 and "NOT FOUND" in missing.stdout
    garbage = refvote("lookup", "hello", record, "--authority", pin)
    assert garbage.returncode == 2 and "not a tracking code" in garbage.stderr
    unpinned = refvote("lookup", "AAAA AAAA AAAA AAAA", record)
    assert unpinned.returncode == 2 and "--authority" in unpinned.stderr


# Faults ------------------------------------------------------------------------------------


@pytest.fixture
def workspace(election: Election, tmp_path: Path) -> TallyStation:
    station = TallyStation(tmp_path / "ws")
    station.init(election.tmp / "package", election.fingerprint)
    return station


def test_tampered_export_adds_nothing(election: Election, workspace: TallyStation) -> None:
    obj = parse_canonical_json(election.exports[0].to_json())
    obj["ballots"][0]["questions"][0]["beta"] = obj["ballots"][1]["questions"][0]["beta"]
    with pytest.raises(ImportRejected, match="signature does not verify"):
        workspace.import_export(canonical_json(obj))
    assert workspace.imported() == {}


def test_export_from_an_unregistered_booth(election: Election, workspace: TallyStation) -> None:
    obj = parse_canonical_json(election.exports[0].to_json())
    obj["booth_id"] = "Z9-9"
    with pytest.raises(ImportRejected, match="not registered in the election package"):
        workspace.import_export(canonical_json(obj))
    # The right booth ID signed by a key the package does not know.
    e = election.exports[0]
    rogue = BoothExport(
        **{**e.__dict__, "signature": SigningKey.generate().sign("export", *e.payload())}
    )
    with pytest.raises(ImportRejected, match="signature does not verify"):
        workspace.import_export(rogue.to_json())
    assert workspace.imported() == {}


def test_second_different_export_for_the_same_booth(
    election: Election, workspace: TallyStation
) -> None:
    first = election.exports[0]
    assert workspace.import_export(first.to_json()).status.value == "added"
    assert workspace.import_export(first.to_json()).status.value == "unchanged"
    key = read_signing_key(election.tmp / "keys/booths" / f"{first.booth_id}.key.json", "booth")[1]
    other = BoothExport(**{**first.__dict__, "signature": key.sign("export", *first.payload())})
    other_bytes = other.to_json().replace(
        b'"version":2}', b'"version":2} '
    )  # not canonical: refused as such
    with pytest.raises(ImportRejected):
        workspace.import_export(other_bytes)
    ctx = verify_package(election.tmp / "package").context
    second, _ = simulate_station_day(
        ctx,
        {
            b: read_signing_key(election.tmp / "keys/booths" / f"{b}.key.json", "booth")[1]
            for b in ctx.definition.booth_ids()
        },
        3,
        seed=99,
    )
    replacement = next(e for e in second if e.booth_id == first.booth_id)
    with pytest.raises(
        ImportRejected, match="a different export of this booth was already imported"
    ):
        workspace.import_export(replacement.to_json())
    assert workspace.imported()[first.booth_id].to_json() == first.to_json()


def test_export_reusing_ballots_of_another_booth_is_refused(
    election: Election, workspace: TallyStation
) -> None:
    from ballots.ballot import EncryptedBallot
    from ballots.export import ExportBuilder

    a = election.exports[0]
    b = next(
        e for e in election.exports if e.booth_id != a.booth_id and e.station_id == a.station_id
    )
    workspace.import_export(a.to_json())
    pkg = verify_package(election.tmp / "package")
    key = read_signing_key(election.tmp / "keys/booths" / f"{b.booth_id}.key.json", "booth")[1]
    # Booth b replays one of booth a's ciphertexts under a new ballot ID of its own.
    stolen = a.ballots[0].ballot
    replay = EncryptedBallot(b.station_id, b.booth_id, bytes(16), stolen.questions)
    builder = ExportBuilder(
        pkg.public.manifest_hash, pkg.public.base, b.station_id, b.booth_id, bytes(32)
    )
    builder.fix(replay)
    builder.cast()
    with pytest.raises(ImportRejected, match="α appears twice in the record"):
        workspace.import_export(builder.close(key).to_json())
    assert list(workspace.imported()) == [a.booth_id]


def test_a_rejected_import_leaves_nothing_behind(
    election: Election, workspace: TallyStation
) -> None:
    """A refused export adds no ballot ID or α to what later imports are checked against."""
    good = election.exports[1]
    key = read_signing_key(election.tmp / "keys/booths" / f"{good.booth_id}.key.json", "booth")[1]
    obj = parse_canonical_json(good.to_json())
    proof = obj["ballots"][0]["questions"][0]["proof"]
    proof[1] = proof[3]  # a broken proof: refused at V7, after its IDs and α were collected
    obj["signature"] = "00" * 64
    unsigned = BoothExport(
        **{**BoothExport.from_json(canonical_json(obj)).__dict__, "signature": b""}
    )
    broken = BoothExport(
        **{**unsigned.__dict__, "signature": key.sign("export", *unsigned.payload())}
    )
    with pytest.raises(ImportRejected, match="membership proof does not verify"):
        workspace.import_export(broken.to_json())
    # The same booth's intact export shares every ballot ID and α with the refused one.
    assert workspace.import_export(good.to_json()).status.value == "added"


@pytest.fixture
def counted(election: Election, workspace: TallyStation, tmp_path: Path) -> TallyStation:
    for e in election.exports:
        workspace.import_export(e.to_json())
    key = read_signing_key(election.tmp / "keys/tally.key.json", "tally")[1]
    workspace.prepare(tmp_path / "pre", key)
    return workspace


def _medium(election: Election, t: int, tmp_path: Path) -> TrusteeMedium:
    copy = tmp_path / f"medium-copy-{t}"
    if not copy.exists():
        shutil.copytree(election.tmp / f"medium-{t}", copy)
    return TrusteeMedium(copy)


def test_wrong_passphrase_names_the_trustee_and_leaves_nothing(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    medium = _medium(election, 3, tmp_path)
    with pytest.raises(DecryptionFailed, match="wrong passphrase"):
        trustee_decrypt(medium, tmp_path / "pre", "not the passphrase", election.fingerprint)
    assert not (medium.folder / "outbox/shares").exists()
    out = refvote(
        "trustee",
        "decrypt",
        "--medium",
        str(medium.folder),
        "--record",
        str(tmp_path / "pre"),
        "--authority",
        election.fingerprint,
        "--passphrase-file",
        str(election.tmp / "pass-1"),
    )
    assert out.returncode == 1 and "wrong passphrase" in out.stderr


def test_bad_share_names_the_trustee_and_decryption_goes_on(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    from ballots.record import SharesFile
    from crypto.hazmat.group import G
    from crypto.threshold import PartialDecryption

    _, path = trustee_decrypt(
        _medium(election, 1, tmp_path),
        tmp_path / "pre",
        "passphrase of trustee 1",
        election.fingerprint,
    )
    good = SharesFile.from_json(path.read_bytes())
    shares = list(good.shares)
    shares[0] = PartialDecryption(shares[0].share + G, shares[0].proof)
    identity = _medium(election, 1, tmp_path).identity("passphrase of trustee 1")[1]
    bad = SharesFile.sign(identity, good.base, 1, shares, counted.sums())
    with pytest.raises(TrusteeFault, match="trustee 1: decryption share proof does not verify"):
        counted.accept_shares(bad.to_json())
    assert counted.shares() == {}
    with pytest.raises(ThresholdError, match="0 trustees have given valid shares; k = 3"):
        counted.results()
    for t in (2, 3, 5):
        _, p = trustee_decrypt(
            _medium(election, t, tmp_path),
            tmp_path / "pre",
            f"passphrase of trustee {t}",
            election.fingerprint,
        )
        counted.accept_shares(p.read_bytes())
    assert counted.results().quorum == (2, 3, 5)


def test_fewer_than_k_trustees_writes_no_record(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    for t in (4, 5):
        _, p = trustee_decrypt(
            _medium(election, t, tmp_path),
            tmp_path / "pre",
            f"passphrase of trustee {t}",
            election.fingerprint,
        )
        counted.accept_shares(p.read_bytes())
    key = read_signing_key(election.tmp / "keys/tally.key.json", "tally")[1]
    with pytest.raises(
        ThresholdError, match="2 trustees have given valid shares; k = 3 are needed"
    ):
        counted.publish(tmp_path / "record", key)
    assert not (tmp_path / "record").exists()
    out = refvote(
        "tally",
        "combine-shares",
        "--workspace",
        str(counted.workspace),
        str(tmp_path / "medium-copy-4"),
    )
    assert out.returncode == 1 and "1 more trustee(s) needed" in out.stderr


def test_a_lost_booth_counted_by_hand_is_published_and_verifies(
    election: Election, workspace: TallyStation, tmp_path: Path
) -> None:
    """Issue 11: a booth's export and mirror lost; its box counted by hand and signed by the
    authority; prepare, three trustees, publish: the hand count is in the totals (plaintext,
    never in a sum), named in results.json, and the record verifies (V16)."""
    import io

    from ballots.manual_count import ManualCount, QuestionCount
    from tally.verify import verify_record

    lost = election.exports[-1]
    for e in election.exports[:-1]:
        workspace.import_export(e.to_json())
    pkg = workspace.package
    authority = read_signing_key(election.tmp / "keys/authority.key.json", "authority")[1]
    counts = tuple(QuestionCount(q, 2, 1, 1, 0) for q in pkg.definition.question_ids())
    hand = ManualCount.sign(
        authority, pkg.definition, pkg.public.base, lost.booth_id, 4, "both media lost", counts
    )
    workspace.import_manual_count(hand.to_json())
    key = read_signing_key(election.tmp / "keys/tally.key.json", "tally")[1]
    workspace.prepare(tmp_path / "pre", key)
    for t in (1, 2, 3):
        _, p = trustee_decrypt(
            _medium(election, t, tmp_path),
            tmp_path / "pre",
            f"passphrase of trustee {t}",
            election.fingerprint,
        )
        workspace.accept_shares(p.read_bytes())
    _, results = workspace.publish(tmp_path / "record", key)
    assert results.manual_counts == (lost.booth_id,)
    assert (tmp_path / "record/manual" / f"{lost.booth_id}.json").read_bytes() == hand.to_json()
    assert not (tmp_path / "record/booths" / f"{lost.booth_id}.json").exists()
    nation = {t.question_id: t.count for t in results.totals if t.level == "nation"}
    for qid in pkg.definition.question_ids():
        electronic = [d.count for d in results.decrypted if d.question_id == qid]
        assert nation[qid].yes == sum(c.yes for c in electronic) + 2
        assert nation[qid].ballots == sum(c.ballots for c in electronic) + 4
    out = io.StringIO()
    assert verify_record(tmp_path / "record", election.fingerprint, out), out.getvalue()
    (line,) = [x for x in out.getvalue().splitlines() if x.startswith("V16")]
    assert f"ok ({lost.booth_id}: 4 papers counted by hand" in line


def test_publish_refuses_while_booths_are_missing(
    election: Election, workspace: TallyStation, tmp_path: Path
) -> None:
    workspace.import_export(election.exports[0].to_json())
    key = read_signing_key(election.tmp / "keys/tally.key.json", "tally")[1]
    with pytest.raises(ImportRejected, match="5 booths not imported yet"):
        workspace.prepare(tmp_path / "pre", key)
    assert not (tmp_path / "pre").exists()


def test_trustee_refuses_a_tampered_record(
    election: Election, counted: TallyStation, tmp_path: Path
) -> None:
    sums = tmp_path / "pre/tally/sums.json"
    obj = parse_canonical_json(sums.read_bytes())
    obj["sums"][0]["ballots"] = obj["sums"][0]["ballots"][1:]
    sums.write_bytes(canonical_json(obj))
    with pytest.raises(CeremonyError, match="does not verify, so it is not decrypted: V3"):
        trustee_decrypt(
            _medium(election, 2, tmp_path),
            tmp_path / "pre",
            "passphrase of trustee 2",
            election.fingerprint,
        )


def test_cli_import_reports_rejections(election: Election, tmp_path: Path) -> None:
    ws = tmp_path / "ws2"
    ok(
        "tally",
        "init",
        "--package",
        str(election.tmp / "package"),
        "--workspace",
        str(ws),
        "--authority",
        election.fingerprint,
    )
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"type":"refvote/booth-export"}')
    out = refvote(
        "tally", "import", "--workspace", str(ws), str(bad), str(election.tmp / "media" / "A1-1")
    )
    assert out.returncode == 1
    assert "REJECTED, nothing added" in out.stdout and "booth A1-1: added" in out.stdout


# The ceremony's complaint path -------------------------------------------------------------


def test_complaint_names_the_dealer_and_the_ceremony_restarts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crypto.ceremony.trustee import TrusteeDevice
    from crypto.hazmat.group import Scalar
    from tally.ceremony import collect, open_ceremony, restart
    from tally.trustee import ceremony_step

    media = [TrusteeMedium(tmp_path / f"m{t}") for t in range(1, 4)]
    keys = [m.init(f"T{t}", f"pw{t}") for t, m in enumerate(media, 1)]
    open_ceremony(tmp_path / "c", bytes(32), 2, [(f"T{t}", k) for t, k in enumerate(keys, 1)])
    real = TrusteeDevice.evaluate

    def cheat(self: TrusteeDevice, t: int) -> Scalar:
        value = real(self, t)
        return value + Scalar.from_int(1) if (self.index, t) == (2, 3) else value

    monkeypatch.setattr(TrusteeDevice, "evaluate", cheat)
    report = None
    for _ in range(4):
        for t, m in enumerate(media, 1):
            ceremony_step(m, tmp_path / "c", f"pw{t}")
        report = collect(tmp_path / "c", [m.folder for m in media])
    assert report is not None and report.named == 2, report
    assert "trustee 2 is named" in report.status
    monkeypatch.setattr(TrusteeDevice, "evaluate", real)
    params = restart(tmp_path / "c", tmp_path / "c2", {2})
    assert [t.name for t in params.trustees] == ["T1", "T3"]
    for _ in range(4):
        for m, pw in ((media[0], "pw1"), (media[2], "pw3")):
            ceremony_step(m, tmp_path / "c2", pw)
        report = collect(tmp_path / "c2", [media[0].folder, media[2].folder])
    assert report.joint is not None and report.joint.n == 2
    with pytest.raises(CeremonyError, match="not in the ceremony's roster"):
        ceremony_step(media[1], tmp_path / "c2", "pw2")


def test_collect_refuses_early_reveal_and_forgeries(tmp_path: Path) -> None:
    from tally.ceremony import collect, open_ceremony
    from tally.trustee import ceremony_step

    media = [TrusteeMedium(tmp_path / f"m{t}") for t in range(1, 3)]
    keys = [m.init(f"T{t}", f"pw{t}") for t, m in enumerate(media, 1)]
    open_ceremony(tmp_path / "c", bytes(32), 2, [(f"T{t}", k) for t, k in enumerate(keys, 1)])
    ceremony_step(media[0], tmp_path / "c", "pw1")
    commit = next((media[0].folder / "outbox/round1-commit").iterdir())
    obj = parse_canonical_json(commit.read_bytes())
    obj["round1_hash"] = "00" * 32
    forged = tmp_path / "forged"
    (forged / "outbox/round1-commit").mkdir(parents=True)
    (forged / "outbox/round1-commit" / commit.name).write_bytes(canonical_json(obj))
    with pytest.raises(TrusteeFault, match="trustee 1: round-1 commitment"):
        collect(tmp_path / "c", [forged])
    # A medium that is not there (not mounted, a typo) is refused, not read as "nothing new".
    with pytest.raises(CeremonyError, match="no trustee outbox here"):
        collect(tmp_path / "c", [tmp_path / "not-mounted"])
    collect(tmp_path / "c", [media[0].folder])
    early = tmp_path / "early"
    (early / "outbox/round1").mkdir(parents=True)
    (early / "outbox/round1/trustee-01.json").write_bytes(b"{}")
    with pytest.raises(CeremonyError, match="only once all 2 commitments are published"):
        collect(tmp_path / "c", [early])


# Small commands ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eligible, yes, no, verdict, missing",
    [
        ("19,825,468", "3804689", "4,262,517", "NOT PASSED", "1,151,678"),
        ("100", "25", "24", "PASSED", "0"),
        ("100", "30", "30", "NOT PASSED", "0"),
        ("100", "24", "1", "NOT PASSED", "1"),
    ],
)
def test_rule_command(eligible: str, yes: str, no: str, verdict: str, missing: str) -> None:
    out = refvote("tally", "rule", "--eligible", eligible, "--yes", yes, "--no", no)
    assert out.returncode == 0 and out.stdout.splitlines()[0] == verdict
    assert f"yes votes missing for the threshold: {missing}" in out.stdout
    data = json.loads(
        refvote("tally", "rule", "--eligible", eligible, "--yes", yes, "--no", no, "--json").stdout
    )
    assert data["passed"] is (verdict == "PASSED")


def test_rule_command_refuses_impossible_figures() -> None:
    out = refvote("tally", "rule", "--eligible", "10", "--yes", "8", "--no", "5")
    assert out.returncode == 2 and "exceeds" in out.stderr


def test_demo_runs_a_whole_mock_referendum(tmp_path: Path) -> None:
    out = refvote("demo", "--out", str(tmp_path / "demo"), "--stations", "2", "--voters", "12")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "decrypted totals equal the simulated voters' choices" in out.stdout
    assert "V15  poll-book counts ................. 2 of 2 stations ok" in out.stdout
    assert "verify:   every check passed" in out.stdout
    demo = tmp_path / "demo"
    # Real booths printed on their virtual printers and saved their reports.
    for booth in ("D001-A", "D001-B", "D002-A", "D002-B"):
        assert list((demo / "booths" / booth / "paper").glob("piece-*.png"))
        assert len(list((demo / "booths" / booth / "reports").glob("*.pdf"))) >= 2
        assert (demo / "media" / booth[:4] / f"export-{booth}.json").is_file()
    # The scripted events happened, each with the booth's own reason.
    assert "already voted" in out.stdout
    assert "PIN is blocked" in out.stdout
    assert "paper out" in out.stdout
    assert "voted 11 (card-less 1)" in out.stdout  # 12 voters, one refused with a blocked card
    assert (tmp_path / "demo/reports/summary-national.pdf").is_file()
    assert len(list((tmp_path / "demo/reports").glob("station-*.pdf"))) == 2
    site = tmp_path / "demo/site/index.html"
    assert site.is_file() and f"site:     {site.resolve()}" in out.stdout
    # The audit round (issue 12): each box holds exactly its booth's cast paper records, and
    # every question gets a verdict at the 5% risk limit.
    import re

    assert "boxes: each of the 4 boxes holds as many papers as its booth's cast" in out.stdout
    assert "papers found" not in out.stdout
    for case in ("17", "18", "19", "20"):
        assert re.search(
            rf"question {case} \(reported (passed|failed)\): (CONFIRMED|ESCALATE)", out.stdout
        )
    assert (tmp_path / "demo/audit/audit-report.pdf").read_bytes().startswith(b"%PDF")


def test_an_export_naming_a_path_as_its_booth_reads_nothing_outside_imports(
    election: Election, workspace: TallyStation
) -> None:
    """The export's booth_id is untrusted text: refused as unregistered before it becomes a
    path (an existing `../x.json` outside imports/ is neither read nor compared)."""
    outside = workspace.workspace / "x.json"
    outside.write_bytes(b"{}")
    obj = parse_canonical_json(election.exports[0].to_json())
    obj["booth_id"] = "../x"
    with pytest.raises(ImportRejected, match="not registered in the election package"):
        workspace.import_export(canonical_json(obj))
    assert workspace.imported() == {} and outside.read_bytes() == b"{}"
