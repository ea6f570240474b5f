"""`refvote audit …`: the risk-limiting audit of the paper records (docs/audit.md).

    refvote audit keygen --out board.key                      the audit board's key
    refvote audit start RECORD --authority FP --seed DIGITS --board-key KEY --out audit.json
    refvote audit sample audit.json --count N                 the next N draws (booth, position)
    refvote audit enter audit.json --entries round.csv --board-key KEY [--qr-images DIR]
    refvote audit verify audit.json --board FP [--record RECORD --authority FP]
    refvote audit report audit.json --board FP --out report.pdf

This module imports only argparse at load time (refvote/cli.py registers it). Decoding a QR from
a scanned PNG needs zxing-cpp and Pillow (test dependencies): imported only when images are
given, so the tally package itself never decodes images.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tally.audit.audit import Audit, Entry

DEMO_SEED = "31415926535897932384626433832795"  # the demo's "dice": 32 digits of π
MAX_CSV = 16 << 20
MAX_PNG = 32 << 20
ROUND_CAP = 4  # rounds the demo draws before it stops and says ESCALATE


def register(commands: argparse._SubParsersAction, lazy: Callable) -> None:  # type: ignore[type-arg]
    audit = commands.add_parser("audit", help="risk-limiting audit of the paper records")
    sub = audit.add_subparsers(dest="audit_command", metavar="COMMAND", required=True)
    keygen = sub.add_parser("keygen", help="make the audit board's signing key")
    keygen.add_argument("--out", required=True)
    keygen.set_defaults(run=lazy("refvote.cmd_audit:keygen"))
    start = sub.add_parser("start", help="verify the record and open the audit record")
    start.add_argument("record")
    start.add_argument("--authority", required=True, metavar="FINGERPRINT")
    start.add_argument("--seed", required=True, help="20-100 digits from dice rolled in public")
    start.add_argument("--risk-limit", default="0.05")
    start.add_argument("--board-key", required=True)
    start.add_argument("--out", required=True)
    start.set_defaults(run=lazy("refvote.cmd_audit:start"))
    sample = sub.add_parser("sample", help="print the next draws as booth, position in box")
    sample.add_argument("audit")
    sample.add_argument("--count", type=int, required=True)
    sample.set_defaults(run=lazy("refvote.cmd_audit:sample"))
    enter = sub.add_parser("enter", help="add the board's readings of a round and re-sign")
    enter.add_argument("audit")
    enter.add_argument(
        "--entries", required=True, help="CSV: draw,booth_id,position,status,answers,qr"
    )
    enter.add_argument("--qr-images", help="folder of <draw>.png scans to pre-fill the qr column")
    enter.add_argument("--board-key", required=True)
    enter.set_defaults(run=lazy("refvote.cmd_audit:enter"))
    verify = sub.add_parser("verify", help="recompute the sample and the risk of an audit record")
    verify.add_argument("audit")
    verify.add_argument("--board", metavar="FINGERPRINT")
    verify.add_argument("--record", help="the election record, to check the manifest against")
    verify.add_argument("--authority", metavar="FINGERPRINT")
    verify.set_defaults(run=lazy("refvote.cmd_audit:verify"))
    estimate = sub.add_parser(
        "estimate", help="the assertions and sample sizes for reported national counts"
    )
    for name in ("eligible", "yes", "no", "papers"):
        estimate.add_argument(f"--{name}", type=int, required=True)
    estimate.add_argument("--risk-limit", default="0.05")
    estimate.set_defaults(run=lazy("refvote.cmd_audit:estimate"))
    report = sub.add_parser("report", help="the audit report PDF (zh-TW and en)")
    report.add_argument("audit")
    report.add_argument("--board", metavar="FINGERPRINT")
    report.add_argument("--out", required=True)
    report.set_defaults(run=lazy("refvote.cmd_audit:report"))


def _risk(text: str) -> Fraction:
    from tally.audit.audit import AuditError

    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise AuditError(f"--risk-limit {text!r}: write a number such as 0.05") from None
    return value


def estimate(args: argparse.Namespace) -> int:
    """Every Art. 29 assertion for the counts, the ones audited marked *, with BRAVO's expected
    sample size and the simulated 90% sample size (ALPHA, reported counts exactly right)."""
    from ballots.rule import article29
    from tally.audit.assertions import Assertion, Kind, assertions_for, bravo_asn
    from tally.audit.assertions import simulated_sample_size as sim

    risk = _risk(args.risk_limit)
    outcome = article29(args.eligible, args.yes, args.no)
    audited = {a.kind for a in assertions_for("q", outcome, args.papers)}
    print(f"reported {'passed' if outcome.passed else 'failed'}; threshold {outcome.threshold:,}")
    for kind in Kind:
        a = Assertion("q", kind, args.papers, outcome.threshold, args.yes, args.no)
        if a.eta0() <= Fraction(1, 2) and not a.trivially_true:
            continue  # the reported counts contradict this claim
        mark = "*" if kind in audited else " "
        print(f"{mark} {kind.value:<15} BRAVO ASN {bravo_asn(a, risk):,.0f}  90%: {sim(a, risk):,}")
    return 0


def keygen(args: argparse.Namespace) -> int:
    from crypto.keyfile import write_signing_key
    from crypto.signing import SigningKey

    key = SigningKey.generate()
    write_signing_key(Path(args.out), "audit", "audit-board", key)
    print(f"audit board key written; its fingerprint, to read aloud: {key.verify_key.read_aloud()}")
    return 0


def start(args: argparse.Namespace) -> int:
    from crypto.files import workspace_lock
    from crypto.keyfile import read_signing_key
    from tally.audit.assertions import simulated_sample_size
    from tally.audit.audit import AuditError, audit_from_record, write_audit_record

    out = Path(args.out)
    _, board = read_signing_key(Path(args.board_key), "audit")
    audit = audit_from_record(Path(args.record), args.authority, args.seed, _risk(args.risk_limit))
    with workspace_lock(out.parent if str(out.parent) else Path(".")):
        if out.exists():
            raise AuditError(f"{out} exists: an audit is started once; continue it with `enter`")
        write_audit_record(out, audit, [], board)
    print(f"audit opened: {audit.manifest.papers:,} papers in {len(audit.manifest.boxes)} boxes")
    for a in audit.assertions():
        n = simulated_sample_size(a, audit.risk_limit)
        print(f"  question {a.question_id} {a.kind.value}: about {n} draws (90% of audits)")
    return 0


def sample(args: argparse.Namespace) -> int:
    from tally.audit.audit import read_audit_record

    verified = read_audit_record(Path(args.audit), None)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["draw", "booth_id", "position", "status", "answers", "qr"])
    for d in verified.audit.sample(len(verified.entries) + 1, args.count):
        writer.writerow([d.draw, d.booth_id, d.position, "", "", ""])
    return 0


def read_entries(path: Path, qr_images: Path | None) -> list[Entry]:
    """The round's CSV; an empty qr cell is filled from <draw>.png in `qr_images` when given."""
    from crypto.files import read_text
    from tally.audit.audit import AuditError, Entry, Status

    rows = list(csv.DictReader(io.StringIO(read_text(path, MAX_CSV))))
    entries = []
    for n, row in enumerate(rows, 2):
        try:
            status = Status((row.get("status") or "read").strip())
            draw, position = int(row["draw"]), int(row["position"])
            qr = (row.get("qr") or "").strip() or None
            if qr is None and qr_images is not None and (qr_images / f"{draw}.png").is_file():
                qr = decode_paper_qr(qr_images / f"{draw}.png")
            entries.append(
                Entry(
                    draw,
                    row["booth_id"].strip(),
                    position,
                    status,
                    (row.get("answers") or "").strip(),
                    qr,
                )
            )
        except (KeyError, ValueError, AttributeError) as exc:
            raise AuditError(
                f"{path}: line {n}: {exc}; see docs/audit.md for the columns"
            ) from None
    return entries


def enter(args: argparse.Namespace) -> int:
    from crypto.files import workspace_lock
    from crypto.keyfile import read_signing_key
    from tally.audit.audit import read_audit_record, write_audit_record
    from tally.audit.report import summary_lines

    path = Path(args.audit)
    _, board = read_signing_key(Path(args.board_key), "audit")
    with workspace_lock(path.parent if str(path.parent) else Path(".")):
        verified = read_audit_record(path, board.verify_key.read_aloud())
        new = read_entries(Path(args.entries), Path(args.qr_images) if args.qr_images else None)
        entries = [*verified.entries, *new]
        verified.audit.evaluate(entries)  # refuses entries out of the sample's order
        write_audit_record(path, verified.audit, entries, board)
    evaluation = verified.audit.evaluate(entries)
    print("\n".join(summary_lines(verified.audit, evaluation)))
    return 0


def verify(args: argparse.Namespace) -> int:
    from tally.audit.audit import audit_from_record, check_against_record, read_audit_record
    from tally.audit.report import summary_lines

    verified = read_audit_record(Path(args.audit), args.board)
    if args.board is None:
        print("warning: no --board fingerprint: the signing key is only self-asserted")
    if args.record:
        again = audit_from_record(
            Path(args.record), args.authority, verified.audit.seed, verified.audit.risk_limit
        )
        check_against_record(verified.audit, again)
        print("manifest and outcomes: those of the verified election record")
    print("sample recomputed from the seed, every risk recomputed from the entries: ok")
    print("\n".join(summary_lines(verified.audit, verified.evaluation)))
    return 0


def report(args: argparse.Namespace) -> int:
    from tally.audit.audit import read_audit_record
    from tally.audit.report import write_pdf

    verified = read_audit_record(Path(args.audit), args.board)
    write_pdf(verified.audit, verified.evaluation, Path(args.out))
    print(f"report written to {args.out}")
    return 0


# QR images and the demo -----------------------------------------------------------------


def decode_paper_qr(path: Path) -> str | None:
    """The QR text of a scanned PNG (zxing-cpp), or None when it holds no readable QR."""
    from crypto.files import read_file

    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        from tally.audit.audit import AuditError

        raise AuditError(
            "reading QR images needs zxing-cpp and Pillow; type the qr column"
        ) from None
    image = Image.open(io.BytesIO(read_file(path, MAX_PNG)))
    texts = [r.text for r in zxingcpp.read_barcodes(image)]
    return texts[0] if texts else None


MAX_KIND = 4096  # bytes of a piece's kind file


def piece_kind(png: Path) -> tuple[str, bool]:
    """The kind of a printed piece (`booth.paper.PieceKind` value) and whether it was torn off
    a job the paper ran out in, from the `.json` the virtual printer wrote next to it: the
    stand-in for the poll worker reading its heading."""
    import json

    from booth.paper import PieceKind
    from crypto.errors import CryptoError
    from crypto.files import read_text
    from tally.audit.audit import AuditError

    side = png.with_suffix(".json")
    try:
        kind = json.loads(read_text(side, MAX_KIND))
        torn = kind.get("torn", False)
        if not isinstance(torn, bool):
            raise ValueError("torn")
        return PieceKind(kind["kind"]).value, torn
    except (CryptoError, OSError, ValueError, KeyError, TypeError, AttributeError):
        raise AuditError(
            f"{png.name}: no readable kind in {side.name}: sort this piece by reading its heading"
        ) from None


def papers_of_roll(roll: Path) -> list[Path]:
    """The paper records of cast ballots among a booth printer's pieces (`piece-NNNN.png` in
    print order, torn ends `piece-NNNN-torn-MMM.png` before piece NNNN), as the poll workers
    sort them: a whole paper record followed by its whole receipt goes into the box unless the
    next piece after the receipt is a CHALLENGED or VOID slip (challenged, or voided at the
    booth after printing: not counted, kept out of the box). A paper record without its receipt
    right after it did not print whole (the booth voided it and printed a VOID slip). Torn ends,
    receipts (home with the voters), slips and reports are not ballots."""
    from booth.paper import PieceKind

    pieces = sorted(roll.glob("piece-*.png"))
    kinds = []
    for p in pieces:
        kind, torn = piece_kind(p)
        kinds.append("torn" if torn else kind)
    record, receipt = PieceKind.PAPER_RECORD.value, PieceKind.RECEIPT.value
    kept_out = {PieceKind.CHALLENGED_SLIP.value, PieceKind.VOID_SLIP.value}
    papers = []
    for i, kind in enumerate(kinds):
        if kind != record or kinds[i + 1 : i + 2] != [receipt]:
            continue
        if set(kinds[i + 2 : i + 3]) & kept_out:
            continue
        papers.append(pieces[i])
    return papers


def fill_boxes(rolls: dict[str, Path], box: Path) -> dict[str, int]:
    """Each booth's box: `box/<booth_id>/NNNN.png`, the paper records of its roll in the order
    they were printed (and put into the box). Returns the number of papers per booth."""
    from crypto.files import make_folder, read_file, write_atomic

    counts = {}
    for booth_id, roll in rolls.items():
        make_folder(box / booth_id)
        papers = papers_of_roll(roll)
        for n, paper in enumerate(papers, 1):
            write_atomic(box / booth_id / f"{n:04d}.png", read_file(paper, MAX_PNG))
        counts[booth_id] = len(papers)
    return counts


def box_papers(box: Path, audit: Audit) -> dict[str, list[str | None]]:
    """Each box's papers (their QR text, None if unreadable), in box order:
    `box/<booth_id>/*.png` sorted by name, papers only (`fill_boxes`); a booth without a folder
    has an empty box."""
    from tally.audit.audit import AuditError

    ids = [b.booth_id for b in audit.manifest.boxes]
    if not any((box / b).is_dir() for b in ids):
        raise AuditError(f"{box}: no box folder named after a booth of the record")
    return {
        b: [decode_paper_qr(p) for p in sorted((box / b).glob("*.png"))]
        if (box / b).is_dir()
        else []
        for b in ids
    }


@dataclass(frozen=True)
class DemoAudit:
    """The demo's audit: its summary lines, and whether every box held as many papers as the
    manifest says (a difference is a finding that a real audit board would minute)."""

    lines: tuple[str, ...]
    boxes_agree: bool

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def demo_audit(
    record_dir: Path,
    box_dir: Path,
    authority: str | None = None,
    *,
    risk_limit: Fraction = Fraction(1, 20),
    seed: str = DEMO_SEED,
    out_dir: Path | None = None,
) -> DemoAudit:
    """The demo's audit: verify the record, draw rounds from the boxes' paper PNGs
    (`box_dir/<booth_id>/*.png`, QR decoded, the text taken as read), sign audit.json with a
    fresh board key, write audit-report.pdf in `out_dir` (default: record_dir's parent /
    "audit")."""
    from crypto.files import make_folder
    from crypto.signing import SigningKey
    from tally.audit.assertions import simulated_sample_size
    from tally.audit.audit import (
        AuditError,
        Entry,
        Status,
        answers_from_qr,
        audit_from_record,
        write_audit_record,
    )
    from tally.audit.report import summary_lines, write_pdf

    audit = audit_from_record(record_dir, authority, seed, risk_limit)
    box = box_papers(box_dir, audit)
    cap = 4 * audit.manifest.papers  # beyond this a full hand count is the cheaper audit
    per_round = max(
        [simulated_sample_size(a, risk_limit, trials=100, cap=cap) for a in audit.assertions()]
        + [1]
    )
    per_round = min(per_round, cap)
    entries: list[Entry] = []
    for _ in range(ROUND_CAP):
        for d in audit.sample(len(entries) + 1, per_round):
            papers = box.get(d.booth_id, [])
            if d.position > len(papers):
                entries.append(Entry(d.draw, d.booth_id, d.position, Status.MISSING, "", None))
                continue
            qr = papers[d.position - 1]
            try:
                text = answers_from_qr(audit, qr or "")  # the demo's "human" reads the QR
            except AuditError:
                entries.append(Entry(d.draw, d.booth_id, d.position, Status.FOREIGN, "", qr))
            else:
                entries.append(Entry(d.draw, d.booth_id, d.position, Status.READ, text, qr))
        if audit.evaluate(entries).all_confirmed:
            break
    evaluation = audit.evaluate(entries)
    folder = out_dir or record_dir.parent / "audit"
    make_folder(folder)
    board = SigningKey.generate()
    write_audit_record(folder / "audit.json", audit, entries, board)
    write_pdf(audit, evaluation, folder / "audit-report.pdf")
    lines = summary_lines(audit, evaluation)
    agree = all(len(box.get(b.booth_id, [])) == b.papers for b in audit.manifest.boxes)
    if agree:
        lines.append(
            f"boxes: each of the {len(audit.manifest.boxes)} boxes holds as many papers as its "
            "booth's cast ballots in the record"
        )
    for b in audit.manifest.boxes:
        if len(box.get(b.booth_id, [])) != b.papers:
            lines.append(
                f"box {b.booth_id}: {len(box.get(b.booth_id, []))} papers found, {b.papers} in "
                "the manifest (a draw beyond the papers found counts worst case)"
            )
    lines.append(
        f"audit record {folder / 'audit.json'} signed by board key {board.verify_key.read_aloud()}"
    )
    lines.append(f"report {folder / 'audit-report.pdf'}")
    return DemoAudit(tuple(lines), agree)
