"""The audit over a real (small) election record: manifest, sample, data entry and findings,
the signed audit record, `refvote audit …`, and the demo's audit over paper PNGs."""

from __future__ import annotations

import hashlib
import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from ballots.ballot import PlaintextBallot
from ballots.definition import load_source
from ballots.package import key_fingerprint
from ballots.paper import paper_qr
from crypto.encoding import canonical_json
from crypto.hashing import file_fingerprint
from crypto.signing import SigningKey
from refvote.cli import main
from tally.audit.assertions import Reading
from tally.audit.audit import (
    Audit,
    AuditError,
    Entry,
    Status,
    audit_from_record,
    read_audit_record,
    record_body,
    write_audit_record,
)
from tests.record_helpers import DEFINITION, BuiltRecord, build_record

SEED = "12345678901234567890"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuiltRecord:
    return build_record(tmp_path_factory.mktemp("audit-record"), ballots=50)


@pytest.fixture(scope="module")
def audit(built: BuiltRecord) -> Audit:
    return audit_from_record(built.folder, key_fingerprint(built.authority.verify_key), SEED)


def _read(audit: Audit, n: int, answers: str, qr: str | None = None) -> list[Entry]:
    """The first n draws, each read as `answers`."""
    return [
        Entry(d.draw, d.booth_id, d.position, Status.READ, answers, qr) for d in audit.sample(1, n)
    ]


def test_manifest_is_the_cast_ballots_per_booth(built: BuiltRecord, audit: Audit) -> None:
    assert [(b.booth_id, b.papers) for b in audit.manifest.boxes] == [
        (e.booth_id, e.counts.cast) for e in built.exports
    ]
    assert audit.manifest.papers == len(built.cast_choices)
    assert audit.record == file_fingerprint((built.folder / "index.json").read_bytes())


def test_a_record_that_does_not_verify_is_not_audited(built: BuiltRecord) -> None:
    with pytest.raises(AuditError, match="does not verify"):
        audit_from_record(built.folder, key_fingerprint(SigningKey.generate().verify_key), SEED)


def test_sample_is_booth_and_position_from_the_seed(audit: Audit) -> None:
    n = audit.manifest.papers
    boxes = [(b.booth_id, b.papers) for b in audit.manifest.boxes]
    for d in audit.sample(1, 20):
        index = int(hashlib.sha256(f"{SEED},{d.draw}".encode()).hexdigest(), 16) % n
        for booth_id, papers in boxes:  # manifest order, positions from 1
            if index < papers:
                assert (d.booth_id, d.position) == (booth_id, index + 1)
                break
            index -= papers


def test_qr_disagreeing_with_its_text_is_a_finding_and_the_text_counts(audit: Audit) -> None:
    entries = _read(audit, 3, "17=Y 18=N", qr="RV2 17=N 18=N")
    evaluation = audit.evaluate(entries)
    assert [(f.draw, f.kind) for f in evaluation.findings] == [
        (1, "qr-disagrees"),
        (2, "qr-disagrees"),
        (3, "qr-disagrees"),
    ]
    assert "17: text Y, QR N" in evaluation.findings[0].detail
    readings, _ = audit.read_paper(entries[0])
    assert readings == {"17": Reading.YES, "18": Reading.NO}


def test_unreadable_or_foreign_qr_is_a_finding(audit: Audit) -> None:
    evaluation = audit.evaluate(_read(audit, 1, "17=Y 18=N", qr="RV2 5=Y"))
    assert [f.kind for f in evaluation.findings] == ["qr-unreadable"]
    assert audit.evaluate(_read(audit, 1, "17=Y 18=N", qr="RV2 17=Y 18=N")).findings == ()


@pytest.mark.parametrize("status", [Status.MISSING, Status.FOREIGN])
def test_missing_or_foreign_paper_counts_worst_case(audit: Audit, status: Status) -> None:
    d = audit.sample(1, 1)[0]
    entry = Entry(d.draw, d.booth_id, d.position, status, "", None)
    readings, findings = audit.read_paper(entry)
    assert set(readings.values()) == {Reading.WORST}
    assert [f.kind for f in findings] == [status.value]
    for a in audit.assertions():
        assert a.value(Reading.WORST) == 0
    # Worse than any reading: its p-value is at least that of a paper read either way.
    worst = audit.evaluate([entry])
    for answers in ("17=Y 18=Y", "17=N 18=N", "17=B 18=D"):
        read = audit.evaluate([Entry(d.draw, d.booth_id, d.position, Status.READ, answers, None)])
        for w, r in zip(worst.results, read.results, strict=True):
            assert w.p_value >= r.p_value


def test_entries_must_follow_the_sample(audit: Audit) -> None:
    d = audit.sample(1, 1)[0]
    wrong = Entry(
        1, d.booth_id, d.position % 10 + 1 if d.position < 10 else 1, Status.READ, "17=Y 18=Y", None
    )
    if (wrong.booth_id, wrong.position) == (d.booth_id, d.position):
        wrong = Entry(1, "S9-Z", 1, Status.READ, "17=Y 18=Y", None)
    with pytest.raises(AuditError, match="enter the sample in its order"):
        audit.evaluate([wrong])


@pytest.mark.parametrize("answers", ["17=Y", "18=Y 17=Y", "17=Y 17=Y", "17=X 18=Y", "17Y 18=Y"])
def test_answers_must_be_every_question_once_in_order(audit: Audit, answers: str) -> None:
    with pytest.raises(AuditError):
        audit.evaluate(_read(audit, 1, answers))


def test_audit_record_round_trip_and_tampering(audit: Audit, tmp_path: Path) -> None:
    board = SigningKey.generate()
    path = tmp_path / "audit.json"
    entries = _read(audit, 4, "17=Y 18=N")
    write_audit_record(path, audit, entries, board)
    verified = read_audit_record(path, board.verify_key.read_aloud())
    assert verified.entries == tuple(entries)
    with pytest.raises(AuditError, match="not the board key given"):
        read_audit_record(path, SigningKey.generate().verify_key.read_aloud())
    # Any change breaks the signature.
    doc = json.loads(path.read_bytes())
    doc["entries"][0]["answers"] = "17=N 18=N"
    path.write_bytes(canonical_json(doc))
    with pytest.raises(AuditError, match="signature"):
        read_audit_record(path, None)
    # Signed by the board, but with a p-value that is not the one the entries give.
    body = record_body(audit, entries, board.verify_key)
    body["assertions"][0]["p_value"] = "1.000000e-09"
    signature = board.sign("audit-record", file_fingerprint(canonical_json(body)))
    path.write_bytes(canonical_json({**body, "signature": signature.hex()}))
    with pytest.raises(AuditError, match="differ from those recomputed"):
        read_audit_record(path, board.verify_key.read_aloud())


def test_cli_start_sample_enter_verify_report(
    built: BuiltRecord, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "board.key"
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    board_fp = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    authority = key_fingerprint(built.authority.verify_key)
    audit_path = tmp_path / "audit.json"
    assert (
        main(
            [
                "audit",
                "start",
                str(built.folder),
                "--authority",
                authority,
                "--seed",
                SEED,
                "--board-key",
                str(key),
                "--out",
                str(audit_path),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["audit", "sample", str(audit_path), "--count", "3"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "draw,booth_id,position,status,answers,qr" and len(rows) == 4
    filled = [rows[0]]
    for n, row in enumerate(rows[1:]):
        d, booth, pos = row.split(",")[:3]
        status = "missing" if n == 1 else "read"
        answers = "" if n == 1 else "17=Y 18=B"
        qr = "RV2 17=N 18=B" if n == 2 else ""
        filled.append(f"{d},{booth},{pos},{status},{answers},{qr}")
    csv_path = tmp_path / "round1.csv"
    csv_path.write_text("\n".join(filled) + "\n")
    assert (
        main(
            ["audit", "enter", str(audit_path), "--entries", str(csv_path), "--board-key", str(key)]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "finding: draw 2: missing" in out and "finding: draw 3: qr-disagrees" in out
    assert (
        main(
            [
                "audit",
                "verify",
                str(audit_path),
                "--board",
                board_fp,
                "--record",
                str(built.folder),
                "--authority",
                authority,
            ]
        )
        == 0
    )
    assert "ok" in capsys.readouterr().out
    pdf = tmp_path / "report.pdf"
    assert main(["audit", "report", str(audit_path), "--board", board_fp, "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    # Art. 29 quoted verbatim (the law's text, typed independently in tests/test_reports.py).
    from tests.test_reports import ART29_OFFICIAL

    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert f"公民投票法第29條：「{ART29_OFFICIAL}」" in "".join(text.split())
    # Entering the same round again is out of the sample's order: refused, nothing written.
    before = audit_path.read_bytes()
    assert (
        main(
            ["audit", "enter", str(audit_path), "--entries", str(csv_path), "--board-key", str(key)]
        )
        == 1
    )
    assert audit_path.read_bytes() == before


def _write_box(built: BuiltRecord, audit: Audit, box: Path) -> None:
    """Each booth's box as PNGs of the paper records' QR (as the printer renders them)."""
    import segno

    definition = load_source(DEFINITION)
    by_station: dict[str, list[PlaintextBallot]] = {}
    for station_id, choices in built.cast_choices:
        by_station.setdefault(station_id, []).append(PlaintextBallot(choices))
    for b in audit.manifest.boxes:
        (box / b.booth_id).mkdir(parents=True)
        for n in range(b.papers):
            plain = by_station[b.station_id].pop(0)
            segno.make(paper_qr(definition, plain), error="m").save(
                str(box / b.booth_id / f"{n + 1:04d}.png"), scale=4, border=4
            )


def test_demo_audit_over_paper_pngs(built: BuiltRecord, audit: Audit, tmp_path: Path) -> None:
    pytest.importorskip("zxingcpp")
    from refvote.cmd_audit import demo_audit

    _write_box(built, audit, tmp_path / "box")
    done = demo_audit(
        built.folder,
        tmp_path / "box",
        key_fingerprint(built.authority.verify_key),
        risk_limit=Fraction(1, 20),
        out_dir=tmp_path / "out",
    )
    summary = done.text
    assert done.boxes_agree and "boxes: each of the" in summary
    assert "question 17" in summary and "question 18" in summary
    assert ("CONFIRMED" in summary) or ("ESCALATE TO FULL HAND COUNT" in summary)
    assert "finding" not in summary  # every paper is in its box and its QR is the text
    verified = read_audit_record(tmp_path / "out" / "audit.json", None)
    assert verified.evaluation.sample_size > 0
    assert (tmp_path / "out" / "audit-report.pdf").read_bytes().startswith(b"%PDF")


def test_demo_audit_wrong_box_and_missing_papers_are_findings(
    built: BuiltRecord, audit: Audit, tmp_path: Path
) -> None:
    pytest.importorskip("zxingcpp")
    import segno

    from refvote.cmd_audit import demo_audit

    _write_box(built, audit, tmp_path / "box")
    first = audit.manifest.boxes[0].booth_id
    papers = sorted((tmp_path / "box" / first).glob("*.png"))
    for p in papers[len(papers) // 2 :]:
        p.unlink()  # half the box is missing
    # A paper from another referendum's box in place of the first paper.
    segno.make("RV2 7=Y 8=N", error="m").save(str(papers[0]), scale=4, border=4)
    done = demo_audit(
        built.folder,
        tmp_path / "box",
        key_fingerprint(built.authority.verify_key),
        out_dir=tmp_path / "out",
    )
    summary = done.text
    assert not done.boxes_agree
    verified = read_audit_record(tmp_path / "out" / "audit.json", None)
    kept = len(papers) // 2
    statuses = {(e.booth_id, e.position): e.status for e in verified.entries}
    assert statuses, summary
    for (booth_id, position), status in statuses.items():
        if booth_id == first and position == 1:
            assert status is Status.FOREIGN
        elif booth_id == first and position > kept:
            assert status is Status.MISSING
        else:
            assert status is Status.READ
    assert Status.MISSING in statuses.values()
    assert ": missing:" in summary
    assert f"box {first}: {kept} papers found, {len(papers)} in the manifest" in summary


def test_a_missing_paper_has_no_answers(audit: Audit) -> None:
    d = audit.sample(1, 1)[0]
    with pytest.raises(AuditError, match="has no answers"):
        audit.evaluate([Entry(d.draw, d.booth_id, d.position, Status.MISSING, "17=Y 18=Y", None)])


def test_outcome_passed_must_be_a_boolean(audit: Audit, tmp_path: Path) -> None:
    board = SigningKey.generate()
    body = record_body(audit, [], board.verify_key)
    body["questions"][0]["passed"] = int(body["questions"][0]["passed"])
    signature = board.sign("audit-record", file_fingerprint(canonical_json(body)))
    path = tmp_path / "audit.json"
    path.write_bytes(canonical_json({**body, "signature": signature.hex()}))
    with pytest.raises(AuditError, match="true or false"):
        read_audit_record(path, None)


def test_cli_keygen_writes_an_audit_key(tmp_path: Path) -> None:
    key = tmp_path / "board.key"
    assert main(["audit", "keygen", "--out", str(key)]) == 0
    assert json.loads(key.read_bytes())["role"] == "audit"
