"""From the booths' printers to the ballot boxes: each printed piece is labelled with its kind
next to its PNG (the poll worker sorting the paper by its heading), and only the paper records
of cast ballots go into the box (issue 12: the demo's audit draws from these boxes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ballots.ballot import Choice, PlaintextBallot
from ballots.definition import load_source
from ballots.paper import challenged_slip, paper_record, receipt, void_slip
from booth.driver import LabellingPrinter
from booth.paper import PieceKind, paper_record_job, receipt_job, slip_job
from hardware.errors import PrintFailed
from hardware.printer.job import PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter
from tally.audit.audit import AuditError
from tests.record_helpers import DEFINITION

DEF = load_source(DEFINITION)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[tuple[VirtualPrinter, LabellingPrinter]]:
    virtual = VirtualPrinter(tmp_path / "paper")
    driver = LabellingPrinter(virtual, PrinterProfile(status_timeout=0.5, job_timeout=5.0))
    yield virtual, driver
    driver.close()
    virtual.close()


def _kinds(folder: Path) -> list[str]:
    return [
        json.loads(p.with_suffix(".json").read_text())["kind"]
        for p in sorted(folder.glob("piece-*.png"))
    ]


def test_each_piece_is_labelled_with_the_job_that_printed_it(
    rig: tuple[VirtualPrinter, LabellingPrinter], tmp_path: Path
) -> None:
    virtual, driver = rig
    plain = PlaintextBallot({q.question_id: Choice.YES for q in DEF.questions})
    driver.print_job(paper_record_job(paper_record(DEF, plain, False), driver.profile))
    driver.print_job(receipt_job(receipt(DEF, bytes(range(32)), False), driver.profile))
    driver.print_job(slip_job(challenged_slip(DEF, False), driver.profile))
    driver.print_job(slip_job(void_slip(DEF, False), driver.profile))
    assert _kinds(tmp_path / "paper") == [
        "paper-record",
        "receipt",
        "challenged-slip",
        "void-slip",
    ]
    assert virtual.kinds == _kinds(tmp_path / "paper")
    sidecar = json.loads((tmp_path / "paper" / "piece-0001.json").read_text())
    assert sidecar == {"kind": "paper-record", "png": "piece-0001.png"}


def test_paper_out_mid_record_leaves_a_torn_end_labelled_with_its_job(
    rig: tuple[VirtualPrinter, LabellingPrinter], tmp_path: Path
) -> None:
    virtual, driver = rig
    plain = PlaintextBallot({q.question_id: Choice.YES for q in DEF.questions})
    job = paper_record_job(paper_record(DEF, plain, False), driver.profile)
    driver.print_job(job)
    driver.print_job(receipt_job(receipt(DEF, bytes(range(32)), False), driver.profile))
    virtual.paper_out_at = virtual.received + 600  # as the demo's scripted paper-out
    with pytest.raises(PrintFailed):
        driver.print_job(job)
    virtual.replace_paper()
    driver.print_job(slip_job(void_slip(DEF, False), driver.profile))
    names = [p.name for p in sorted((tmp_path / "paper").glob("piece-*.png"))]
    assert names == [
        "piece-0001.png",
        "piece-0002.png",
        "piece-0003-torn-001.png",
        "piece-0003.png",
    ]
    assert len(virtual.pieces) == 3  # the torn end was never cut
    torn = json.loads((tmp_path / "paper" / "piece-0003-torn-001.json").read_text())
    assert torn == {"kind": "paper-record", "png": "piece-0003-torn-001.png", "torn": True}


def test_the_label_never_reaches_the_printer() -> None:
    plain = PlaintextBallot({q.question_id: Choice.NO for q in DEF.questions})
    job = paper_record_job(paper_record(DEF, plain, False), PrinterProfile())
    assert job.label == "paper-record"
    assert b"paper-record" not in job.to_bytes()


# Sorting a roll -----------------------------------------------------------------------------


def _roll(folder: Path, kinds: list[str | None]) -> list[Path]:
    """Pieces in print order with their kind files (None: no kind file; "torn:K": the torn
    end of a job of kind K, named as the virtual printer names it)."""
    folder.mkdir()
    paths = []
    n = 0
    for kind in kinds:
        side: dict[str, object] = {"kind": kind}
        if kind is not None and kind.startswith("torn:"):
            png = folder / f"piece-{n + 1:04d}-torn-001.png"
            side = {"kind": kind[5:], "torn": True}
        else:
            n += 1
            png = folder / f"piece-{n:04d}.png"
        png.write_bytes(b"\x89PNG " + png.name.encode())
        if kind is not None:
            png.with_suffix(".json").write_text(json.dumps({**side, "png": png.name}))
        paths.append(png)
    return paths


R, C, V, P, T = "paper-record", "receipt", "challenged-slip", "void-slip", "report"


def test_only_paper_records_of_cast_ballots_go_into_the_box(tmp_path: Path) -> None:
    from refvote.cmd_audit import papers_of_roll

    pieces = _roll(
        tmp_path / "roll",
        [
            T,  # zero report
            R, C,  # cast
            R, C, V,  # challenged: CHALLENGED slip after the receipt
            R, C,  # cast after the challenge
            R, P,  # the receipt did not print (paper out): VOID slip
            R, C, P,  # voided at the booth after printing (card pulled): VOID slip
            R, C,  # cast: the last voter
            T,  # closing report: not a slip, the last paper is in the box
        ],
    )  # fmt: skip
    assert papers_of_roll(tmp_path / "roll") == [pieces[i] for i in (1, 6, 13)]


def test_a_void_slip_after_a_torn_record_voids_it_not_the_cast_before(tmp_path: Path) -> None:
    """The demo's paper-out: voter 1 cast (record, receipt); voter 3's record ran out of paper
    (its torn end) and the VOID slip followed; voter 3 voted again."""
    from refvote.cmd_audit import papers_of_roll

    pieces = _roll(tmp_path / "roll", [T, R, C, "torn:" + R, P, R, C, T])
    assert papers_of_roll(tmp_path / "roll") == [pieces[1], pieces[5]]


def test_the_closing_report_after_the_last_receipt_is_not_a_challenge(tmp_path: Path) -> None:
    """The bug this fixes: a piece without a QR after a receipt was taken for a CHALLENGED slip,
    so the last voter's paper record was left out of the box."""
    from refvote.cmd_audit import papers_of_roll

    pieces = _roll(tmp_path / "roll", [T, R, C, R, C, T])
    assert papers_of_roll(tmp_path / "roll") == [pieces[1], pieces[3]]


@pytest.mark.parametrize("kind", [None, "ballot", ""])
def test_a_piece_without_a_known_kind_is_sorted_by_hand(tmp_path: Path, kind: str | None) -> None:
    from refvote.cmd_audit import papers_of_roll

    _roll(tmp_path / "roll", [R, C, kind])
    with pytest.raises(AuditError, match=r"piece-0003\.png: no readable kind.*heading"):
        papers_of_roll(tmp_path / "roll")


def test_fill_boxes_copies_each_booths_papers_in_print_order(tmp_path: Path) -> None:
    from refvote.cmd_audit import fill_boxes

    a = _roll(tmp_path / "A", [T, R, C, R, C, V, R, C, T])
    b = _roll(tmp_path / "B", [T, T])
    counts = fill_boxes({"S1-A": tmp_path / "A", "S1-B": tmp_path / "B"}, tmp_path / "box")
    assert counts == {"S1-A": 2, "S1-B": 0}
    box = sorted((tmp_path / "box" / "S1-A").glob("*.png"))
    assert [p.name for p in box] == ["0001.png", "0002.png"]
    assert [p.read_bytes() for p in box] == [a[1].read_bytes(), a[6].read_bytes()]
    assert (tmp_path / "box" / "S1-B").is_dir() and not list((tmp_path / "box" / "S1-B").iterdir())
    assert b  # the reports stay out


def test_piece_kinds_are_the_booths_jobs() -> None:
    assert {k.value for k in PieceKind} == {R, C, V, P, T}
