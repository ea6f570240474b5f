"""Article 29 of the Referendum Act (公民投票法第29條), the one rule function.

A proposal passes when the valid votes in favour outnumber those against AND reach a quarter
of the eligible voters: yes > no and yes ≥ ceil(eligible / 4). Blank and invalid ballots count
for neither. The verifier and the tally both call `article29`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Article29:
    eligible: int
    yes: int
    no: int
    threshold: int  # ceil(eligible / 4)
    passed: bool
    yes_missing_for_threshold: int  # yes votes still needed to reach the threshold (0 if reached)
    yes_missing_for_majority: int  # yes votes still needed to exceed no (0 if yes > no)

    def to_obj(self) -> dict[str, int | bool]:
        """The outcome as JSON members (results.json, `refvote tally rule --json`, reports)."""
        return {
            "eligible": self.eligible,
            "yes": self.yes,
            "no": self.no,
            "threshold": self.threshold,
            "passed": self.passed,
            "yes_missing_for_threshold": self.yes_missing_for_threshold,
            "yes_missing_for_majority": self.yes_missing_for_majority,
        }


def article29(eligible: int, yes: int, no: int) -> Article29:
    """Decide one question under Art. 29 from national totals."""
    for name, value in (("eligible", eligible), ("yes", yes), ("no", no)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a whole number ≥ 0")
    if yes + no > eligible:
        raise ValueError("yes + no exceeds the number of eligible voters")
    threshold = -(-eligible // 4)
    return Article29(
        eligible=eligible,
        yes=yes,
        no=no,
        threshold=threshold,
        passed=yes > no and yes >= threshold,
        yes_missing_for_threshold=max(0, threshold - yes),
        yes_missing_for_majority=max(0, no - yes + 1),
    )
