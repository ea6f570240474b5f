"""The audit report (PDF, zh-TW and en) and its text summary: per question, the assertions, the
sample size so far, the measured risk, and CONFIRMED / ESCALATE TO FULL HAND COUNT."""

from __future__ import annotations

from pathlib import Path

from crypto.hashing import group_for_reading
from tally.audit.assertions import Kind
from tally.audit.audit import Audit, Evaluation, findings_lines
from tally.report_figures import (
    ARTICLE_29,
    ARTICLE_29_CITATION,
    CONDITION_MAJORITY,
    CONDITION_THRESHOLD,
    REASON_THRESHOLD,
)
from tally.report_layout import FONT, PageFrame, build, register_font

# Each assertion in the Act's words where the Act has them (tally.report_figures); NO_GT_YES is
# stricter than the Act's 未多於 (a tie is confirmed only by a full count), so it says so.
CLAIM = {
    Kind.YES_GT_NO: (CONDITION_MAJORITY, "yes > no"),
    Kind.NO_GT_YES: ("不同意票數多於有效同意票數", "no > yes"),
    Kind.YES_REACHES: (CONDITION_THRESHOLD, "yes ≥ ceil(eligible / 4)"),
    Kind.YES_BELOW: (REASON_THRESHOLD, "yes < ceil(eligible / 4)"),
}
CONFIRMED = ("確認", "CONFIRMED")
ESCALATE = ("應全面人工計票", "ESCALATE TO FULL HAND COUNT")


def verdict(evaluation: Evaluation, question_id: str) -> tuple[str, str]:
    return CONFIRMED if evaluation.confirmed(question_id) else ESCALATE


def summary_lines(audit: Audit, evaluation: Evaluation) -> list[str]:
    """The report as text lines (printed by `refvote audit` and the demo)."""
    lines = [
        f"risk-limiting audit of record {group_for_reading(audit.record)}: "
        f"risk limit {float(audit.risk_limit):.0%}, seed {audit.seed}, "
        f"{audit.manifest.papers:,} papers in {len(audit.manifest.boxes)} boxes, "
        f"{evaluation.sample_size} drawn",
    ]
    for qid, outcome in audit.outcomes:
        zh, en = verdict(evaluation, qid)
        reported = "passed" if outcome.passed else "failed"
        lines.append(f"question {qid} (reported {reported}): {en} {zh}")
        for r in evaluation.results:
            if r.assertion.question_id == qid:
                lines.append(
                    f"  {r.assertion.kind.value:<15} {CLAIM[r.assertion.kind][1]:<26} "
                    f"risk {r.p_value:.4f}"
                )
    for line in findings_lines(evaluation.findings):
        lines.append(f"finding: {line}")
    return lines


def write_pdf(audit: Audit, evaluation: Evaluation, path: Path) -> None:
    from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
    from reportlab.platypus import Paragraph, Spacer, Table  # type: ignore[import-untyped]

    register_font()
    body = ParagraphStyle("b", fontName=FONT, fontSize=10, leading=14)
    head = ParagraphStyle("h", fontName=FONT, fontSize=14, leading=20)
    story: list[object] = [
        Paragraph("紙本紀錄風險限制稽核報告 Risk-limiting audit of the paper records", head),
        Paragraph(
            f"選舉紀錄 Election record {group_for_reading(audit.record)}　"
            f"風險上限 Risk limit {float(audit.risk_limit):.0%}　"
            f"種子 Seed {audit.seed}",
            body,
        ),
        Paragraph(
            f"票匭 Boxes {len(audit.manifest.boxes)}　紙本 Papers {audit.manifest.papers:,}　"
            f"已抽樣 Drawn so far {evaluation.sample_size}",
            body,
        ),
        Paragraph(f"{ARTICLE_29_CITATION}：「{ARTICLE_29}」", body),
        Spacer(1, 10),
    ]
    for qid, outcome in audit.outcomes:
        zh, en = verdict(evaluation, qid)
        reported = ("通過", "passed") if outcome.passed else ("不通過", "failed")
        story.append(
            Paragraph(
                f"第 {qid} 案 Question {qid}: 公告 {reported[0]} reported {reported[1]}", head
            )
        )
        rows: list[list[str]] = [["主張 Assertion", "樣本 Sample", "風險 Measured risk"]]
        for r in evaluation.results:
            if r.assertion.question_id == qid:
                czh, cen = CLAIM[r.assertion.kind]
                rows.append([f"{czh} {cen}", str(evaluation.sample_size), f"{r.p_value:.4f}"])
        table = Table(rows)
        table.setStyle([("FONT", (0, 0), (-1, -1), FONT, 9)])
        story += [table, Paragraph(f"結論 Result: {zh} {en}", body), Spacer(1, 8)]
    findings = findings_lines(evaluation.findings)
    story.append(Paragraph(f"發現事項 Findings: {len(findings)}", head))
    story += [Paragraph(line, body) for line in findings]
    title = "紙本紀錄風險限制稽核報告 Risk-limiting audit"
    frame = PageFrame(title, "", f"紀錄 {group_for_reading(audit.record)[:14]}", test=False)
    build(path, frame, "紙本紀錄風險限制稽核報告 Risk-limiting audit of the paper records", story)
