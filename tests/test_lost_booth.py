"""A lost booth (issue 11): its export and mirror unreadable, its box's paper records counted by
hand and signed by the authority (`refvote tally manual-count`), added to the totals as
plaintext, marked in the record, and checked by the verifier (V16)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ballots.ballot import Choice
from ballots.definition import load_source
from ballots.manual_count import ManualCount, ManualCountError, QuestionCount
from ballots.package import key_fingerprint, verify_package
from ballots.record import Results
from crypto.encoding import canonical_json, parse_canonical_json
from crypto.keyfile import write_signing_key
from crypto.signing import SigningKey
from refvote.cli import main
from tally.station import ImportRejected, TallyStation
from tests.record_helpers import (
    DEFINITION,
    BuiltRecord,
    build_record,
    edit,
    expected_counts,
    failed_check,
    resign_index,
    run,
)

DEF = load_source(DEFINITION)
LOST = "S1-B"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("lost-booth"), ballots=40, manual=(LOST,))


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    """The same election with every export (for the tally station's import tests)."""
    return build_record(tmp_path_factory.mktemp("all-booths"), ballots=40)


def _fp(built: BuiltRecord) -> str:
    return key_fingerprint(built.authority.verify_key)


def _hand(built: BuiltRecord, booth: str = LOST, papers: int = 3, **change: object) -> bytes:
    """A hand count of `papers` papers (one yes, one no, one blank on each question unless
    `papers` differs), signed by the built election's authority."""
    base = verify_package(built.package_folder).public.base
    counts = tuple(
        QuestionCount(q, 1, 1, 1, papers - 3) if papers >= 3 else QuestionCount(q, papers, 0, 0, 0)
        for q in DEF.question_ids()
    )
    hand = ManualCount.sign(built.authority, DEF, base, booth, papers, "both media lost", counts)
    return hand.to_json() if not change else _resigned(hand, built.authority, **change)


def _resigned(hand: ManualCount, key: SigningKey, **change: object) -> bytes:
    """`hand` with fields changed, re-signed by `key` without the signer's checks."""
    changed = ManualCount(**{**hand.__dict__, **change, "signature": b""})
    return ManualCount(
        **{**changed.__dict__, "signature": key.sign("manual-count", *changed.payload())}
    ).to_json()


# The record --------------------------------------------------------------------------------


def test_a_record_with_a_hand_counted_booth_verifies(built: BuiltRecord) -> None:
    ok, out = run(built.folder, _fp(built))
    assert ok, out
    assert "V4   booth exports" in out and "2 booths, signatures verified; 1 counted by hand" in out
    (line,) = [x for x in out.splitlines() if x.startswith("V16")]
    assert f"ok ({LOST}:" in line and "papers counted by hand" in line
    assert (built.folder / "manual" / f"{LOST}.json").is_file()
    assert not (built.folder / "booths" / f"{LOST}.json").exists()


def test_the_hand_count_is_added_to_the_totals_in_plaintext(built: BuiltRecord) -> None:
    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    assert results.manual_counts == (LOST,)
    # The sums hold only the electronic ballots; the station totals hold every cast paper.
    station = {(t.area, t.question_id): t.count for t in results.totals if t.level == "station"}
    decrypted = {(d.station_id, d.question_id): d.count for d in results.decrypted}
    hand = ManualCount.from_json((built.folder / "manual" / f"{LOST}.json").read_bytes())
    for (sid, qid), (yes, no, blank) in expected_counts(built).items():
        assert (station[sid, qid].yes, station[sid, qid].no, station[sid, qid].blank) == (
            yes,
            no,
            blank,
        )
    for c in hand.counts:
        got = station["S1", c.question_id]
        assert got.yes == decrypted["S1", c.question_id].yes + c.yes
        assert got.ballots == decrypted["S1", c.question_id].ballots + c.yes + c.no + c.blank


def test_a_pre_decryption_record_with_a_hand_count_verifies(tmp_path: Path) -> None:
    pre = build_record(tmp_path, ballots=20, final=False, manual=(LOST,))
    ok, out = run(pre.folder, _fp(pre), expect="pre-decryption")
    assert ok and "(V1–V10, V15, V16)" in out and "V16  hand-counted booths" in out


def _tampered(built: BuiltRecord, tmp_path: Path, data: bytes) -> Path:
    import shutil

    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    (folder / "manual" / f"{LOST}.json").write_bytes(data)
    resign_index(folder, built.tally_key)
    return folder


def test_v16_refuses_a_hand_count_not_signed_by_the_authority(
    built: BuiltRecord, tmp_path: Path
) -> None:
    hand = ManualCount.from_json((built.folder / "manual" / f"{LOST}.json").read_bytes())
    forged = _resigned(hand, SigningKey.generate())  # the same count, another key
    ok, out = run(_tampered(built, tmp_path, forged), _fp(built))
    assert not ok and failed_check(out) == "V16"
    assert "the authority's signature does not verify" in out


def test_v16_refuses_a_hand_count_that_does_not_add_up(built: BuiltRecord, tmp_path: Path) -> None:
    hand = ManualCount.from_json((built.folder / "manual" / f"{LOST}.json").read_bytes())
    off = _resigned(hand, built.authority, papers=hand.papers + 1)  # signed, but off by one
    ok, out = run(_tampered(built, tmp_path, off), _fp(built))
    assert not ok and failed_check(out) == "V16"
    assert f"not the {hand.papers + 1:,} papers counted" in out


def test_v16_refuses_a_changed_count_even_re_signed_index(
    built: BuiltRecord, tmp_path: Path
) -> None:
    """The tally station (not the authority) cannot change a hand count: the figures change, the
    authority's signature no longer verifies."""
    folder = tmp_path / "record"
    import shutil

    shutil.copytree(built.folder, folder)

    def more_yes(obj: dict) -> None:  # type: ignore[type-arg]
        obj["counts"][0]["yes"] += 1
        obj["counts"][0]["declined"] -= 1

    edit(folder, f"manual/{LOST}.json", more_yes)
    resign_index(folder, built.tally_key)
    ok, out = run(folder, _fp(built))
    assert not ok and failed_check(out) in ("V13", "V16")
    assert "does not verify" in out or "recomputed" in out


def test_v16_refuses_electronic_ballots_for_a_hand_counted_booth(
    plain: BuiltRecord, tmp_path: Path
) -> None:
    """Both the export and a hand count of one booth: its box would be counted twice."""
    import shutil

    from tally.verify import Verifier

    folder = tmp_path / "record"
    shutil.copytree(plain.folder, folder)
    base = verify_package(plain.package_folder).public.base
    hand = ManualCount.sign(
        plain.authority,
        DEF,
        base,
        LOST,
        0,
        "lost",
        tuple(QuestionCount(q, 0, 0, 0, 0) for q in DEF.question_ids()),
    )  # zero papers: the totals stay right, so only V16 can see the double count
    (folder / "manual").mkdir()
    (folder / "manual" / f"{LOST}.json").write_bytes(hand.to_json())

    def name_it(r: dict) -> None:  # type: ignore[type-arg]
        r["manual_counts"] = [LOST]

    edit(folder, "tally/results.json", name_it)
    resign_index(folder, plain.tally_key)
    import io

    out = io.StringIO()
    ok = Verifier(folder, key_fingerprint(plain.authority.verify_key), out).run()
    text = out.getvalue()
    assert not ok and failed_check(text) == "V16"
    assert f"booth {LOST} has electronic ballots in the record" in text


def test_a_hand_count_for_a_booth_not_in_the_package_is_refused(
    built: BuiltRecord, tmp_path: Path
) -> None:
    import shutil

    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)
    # Under the name of a booth that does not exist: not a file of the record's layout (V3).
    (folder / "manual" / "S9-Z.json").write_bytes((folder / "manual" / f"{LOST}.json").read_bytes())
    resign_index(folder, built.tally_key)
    ok, out = run(folder, _fp(built))
    assert not ok and failed_check(out) == "V3" and "manual/S9-Z.json" in out
    # Under a real booth's name but naming another booth: V16.
    (folder / "manual" / "S9-Z.json").unlink()
    hand = ManualCount.from_json((folder / "manual" / f"{LOST}.json").read_bytes())
    (folder / "manual" / f"{LOST}.json").write_bytes(
        _resigned(hand, built.authority, booth_id="S9-Z")
    )
    resign_index(folder, built.tally_key)
    ok, out = run(folder, _fp(built))
    assert not ok and failed_check(out) == "V16" and "S9-Z: not a booth of the definition" in out


def test_results_must_name_the_hand_counted_booths(built: BuiltRecord, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "record"
    shutil.copytree(built.folder, folder)

    def unmark(r: dict) -> None:  # type: ignore[type-arg]
        r["manual_counts"] = []

    edit(folder, "tally/results.json", unmark)
    resign_index(folder, built.tally_key)
    ok, out = run(folder, _fp(built))
    assert not ok and failed_check(out) == "V13" and "manual_counts names []" in out


# Signing ------------------------------------------------------------------------------------


def test_the_signer_refuses_what_the_verifier_would(built: BuiltRecord) -> None:
    base = verify_package(built.package_folder).public.base
    good = tuple(QuestionCount(q, 1, 1, 0, 0) for q in DEF.question_ids())
    with pytest.raises(ManualCountError, match="not the 3 papers counted"):
        ManualCount.sign(built.authority, DEF, base, LOST, 3, "lost", good)
    with pytest.raises(ManualCountError, match="not a booth of the definition"):
        ManualCount.sign(built.authority, DEF, base, "S9-Z", 2, "lost", good)
    with pytest.raises(ManualCountError, match="once each, in that order"):
        ManualCount.sign(built.authority, DEF, base, LOST, 2, "lost", good[::-1])
    with pytest.raises(ManualCountError, match="no reason given"):
        ManualCount.sign(built.authority, DEF, base, LOST, 2, "  ", good)
    with pytest.raises(ManualCountError, match="longer than 500"):
        ManualCount.sign(built.authority, DEF, base, LOST, 2, "x" * 501, good)
    negative = tuple(QuestionCount(q, 3, -1, 0, 0) for q in DEF.question_ids())
    with pytest.raises(ManualCountError, match="whole number from 0"):
        ManualCount.sign(built.authority, DEF, base, LOST, 2, "lost", negative)


# The tally station ----------------------------------------------------------------------------


@pytest.fixture
def workspace(plain: BuiltRecord, tmp_path: Path) -> TallyStation:
    station = TallyStation(tmp_path / "ws")
    station.init(plain.package_folder, key_fingerprint(plain.authority.verify_key))
    for e in plain.exports:
        if e.booth_id != LOST:
            station.import_export(e.to_json())
    return station


def test_prepare_waits_for_a_missing_booth_and_a_hand_count_lets_it_proceed(
    plain: BuiltRecord, workspace: TallyStation, tmp_path: Path
) -> None:
    with pytest.raises(ImportRejected, match=f"1 booths not imported yet: {LOST}"):
        workspace.prepare(tmp_path / "pre", plain.tally_key)
    hand = workspace.import_manual_count(_hand(plain))
    assert hand.booth_id == LOST and workspace.missing_booths() == []
    assert workspace.import_manual_count(_hand(plain)) == hand  # the same bytes again
    workspace.prepare(tmp_path / "pre", plain.tally_key)
    assert (tmp_path / "pre" / "manual" / f"{LOST}.json").read_bytes() == _hand(plain)
    ok, out = run(tmp_path / "pre", key_fingerprint(plain.authority.verify_key), expect=None)
    assert ok, out
    # After prepare, the workspace takes no new hand count (the trustees saw the record).
    with pytest.raises(ImportRejected, match="comes before `prepare`"):
        workspace.import_manual_count(_hand(plain, "S2-A", papers=1))


def test_the_station_refuses_a_second_count_of_one_box(
    plain: BuiltRecord, workspace: TallyStation
) -> None:
    lost = next(e for e in plain.exports if e.booth_id == LOST)
    workspace.import_manual_count(_hand(plain))
    with pytest.raises(ImportRejected, match="a different hand count was already imported"):
        workspace.import_manual_count(_hand(plain, papers=4))
    with pytest.raises(ImportRejected, match="was counted by hand"):
        workspace.import_export(lost.to_json())
    with pytest.raises(ImportRejected, match="its export was imported"):
        workspace.import_manual_count(_hand(plain, "S2-A", papers=1))


def test_the_station_refuses_a_forged_or_impossible_hand_count(
    plain: BuiltRecord, workspace: TallyStation
) -> None:
    base = verify_package(plain.package_folder).public.base
    counts = tuple(QuestionCount(q, 1, 0, 0, 0) for q in DEF.question_ids())
    forged = ManualCount.sign(SigningKey.generate(), DEF, base, LOST, 1, "lost", counts)
    with pytest.raises(ImportRejected, match="the authority's signature does not verify"):
        workspace.import_manual_count(forged.to_json())
    eligible = DEF.station("S1").eligible
    too_many = tuple(QuestionCount(q, eligible, 0, 0, 0) for q in DEF.question_ids())
    big = ManualCount.sign(plain.authority, DEF, base, LOST, eligible, "lost", too_many)
    with pytest.raises(ImportRejected, match="cast ballots for 40 eligible voters"):
        workspace.import_manual_count(big.to_json())
    assert workspace.missing_booths() == [LOST]


def test_cli_manual_count_signs_and_imports(
    plain: BuiltRecord, workspace: TallyStation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "authority.key.json"
    write_signing_key(key, "authority", "authority", plain.authority)
    counts = tmp_path / "counts.csv"
    with counts.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["question_id", "yes", "no", "blank", "declined"])
        for q in DEF.question_ids():
            w.writerow([q, "1", "0", "1", "0"])
    args = ["tally", "manual-count", "--workspace", str(workspace.workspace), "--booth", LOST]
    args += ["--papers", "2", "--counts", str(counts), "--reason", "USB and mirror unreadable"]
    assert main([*args, "--authority-key", str(key), "--out", str(tmp_path / "signed.json")]) == 0
    assert f"hand count of booth {LOST} (station S1) imported: 2 papers" in capsys.readouterr().out
    signed = parse_canonical_json((tmp_path / "signed.json").read_bytes())
    assert signed["reason"] == "USB and mirror unreadable" and signed["papers"] == 2
    assert TallyStation(workspace.workspace).missing_booths() == []
    # Re-importing the signed file is the same count; another key is refused by name.
    again = ["tally", "manual-count", "--workspace", str(workspace.workspace)]
    assert main([*again, "--signed", str(tmp_path / "signed.json")]) == 0
    other = tmp_path / "other.key.json"
    write_signing_key(other, "authority", "authority", SigningKey.generate())
    args[5] = "S2-A"
    assert main([*args, "--authority-key", str(other)]) == 1
    assert "not the authority key the election package names" in capsys.readouterr().err
    assert main([*again, "--signed", str(tmp_path / "signed.json"), "--booth", LOST]) == 2


def test_a_hand_counted_paper_declined_takes_no_part_in_the_question() -> None:
    base = bytes(32)
    counts = tuple(QuestionCount(q, 2, 1, 1, 1) for q in DEF.question_ids())
    hand = ManualCount.sign(SigningKey.generate(), DEF, base, LOST, 5, "lost", counts)
    (first, *_) = hand.station_counts()
    assert (first.count.ballots, first.count.yes, first.count.no, first.count.blank) == (4, 2, 1, 1)
    assert canonical_json(parse_canonical_json(hand.to_json())) == hand.to_json()
    assert Choice.BLANK  # the paper's four answers: yes, no, blank and declined


# First resort: re-export from the booth's second medium --------------------------------------


def test_a_booth_whose_disk_and_export_are_lost_re_exports_from_its_mirror(
    tmp_path: Path,
) -> None:
    """The mirror (second medium) holds every ballot: a replacement disk, configured and
    recovered from the mirror by two poll workers, writes an export the tally imports with the
    same cast ballots after closing again (docs/operators.md §7). Only when this fails too is the
    box hand-counted."""
    import shutil

    from ballots.export import BoothExport
    from booth.core.polls import PollsState
    from booth.store import Side
    from tests.booth_core_helpers import VOTERS, WORKER_PINS, Bench, build_election
    from tests.test_booth_core import vote_until_deciding

    election = build_election(tmp_path / "election")
    bench = Bench(election, tmp_path / "booth")
    try:
        booth = bench.opened()
        for voter in VOTERS[:3]:
            vote_until_deciding(bench, voter, **{"17": Choice.YES})
            booth.cast()
        first = booth.close_polls(WORKER_PINS[0], bench.usb)
        original = {
            b.ballot.ballot_id for b in BoothExport.from_json(first.path.read_bytes()).ballots
        }
        (bench.usb / first.path.name).write_bytes(b"\x00" * 64)  # the stick is unreadable
        booth.close()
        bench.booth = None
        shutil.rmtree(bench.root / "internal")  # and the booth's disk is dead
        (bench.root / "internal").mkdir()
        booth = bench.start()
        booth.configure(election.folder, election.fingerprint, WORKER_PINS[0])
        booth.recover(Side.MIRROR, *WORKER_PINS)
        assert booth.polls is PollsState.PAUSED  # the polls state lived on the dead disk
        (tmp_path / "second-stick").mkdir()
        again = booth.close_polls(WORKER_PINS[0], tmp_path / "second-stick")
    finally:
        bench.stop()
    export = BoothExport.from_json(again.path.read_bytes())
    assert export.counts.cast == 3 and export.booth_id == bench.booth_id
    assert {b.ballot.ballot_id for b in export.ballots} == original
    station = TallyStation(tmp_path / "ws")
    station.init(election.folder, election.fingerprint)
    assert station.import_export(again.path.read_bytes()).cast == 3


def test_every_pdf_report_marks_the_hand_counted_booth(built: BuiltRecord, tmp_path: Path) -> None:
    import subprocess

    from crypto.hashing import file_fingerprint
    from tally.reports import ReportContext, write_reports

    results = Results.from_json((built.folder / "tally/results.json").read_bytes())
    pkg = verify_package(built.folder / "package")
    names = {t.index: t.name for t in pkg.joint_key.params.trustees}
    record_fp = file_fingerprint((built.folder / "index.json").read_bytes())
    ctx = ReportContext(DEF, results, DEF.manifest_hash(), record_fp, names, False)
    pdfs = [p for p in write_reports(ctx, tmp_path / "reports") if p.suffix == ".pdf"]
    assert pdfs
    for pdf in pdfs:
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Hand-counted booths: S1-B" in text, pdf.name
    table = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    assert table["manual_counts"] == ["S1-B"]


def test_the_audit_manifest_counts_a_hand_counted_box_by_its_papers(built: BuiltRecord) -> None:
    from tally.audit.audit import audit_from_record

    audit = audit_from_record(built.folder, _fp(built), "12345678901234567890")
    hand = ManualCount.from_json((built.folder / "manual" / f"{LOST}.json").read_bytes())
    boxes = {b.booth_id: b.papers for b in audit.manifest.boxes}
    assert boxes[LOST] == hand.papers
    assert sum(boxes.values()) == len(built.cast_choices)


def test_the_public_site_builds_from_a_record_with_a_hand_counted_booth(
    built: BuiltRecord, tmp_path: Path
) -> None:
    from tally.site import build_site

    site = build_site(built.folder, _fp(built), tmp_path / "site")
    assert (site.out / "index.html").is_file()
