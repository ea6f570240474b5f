"""Art. 29 of the Referendum Act on every real national outcome and on the edges."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballots.rule import article29

CSV = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "tw-referendum-results.csv"
)


def real_outcomes() -> list[dict[str, str]]:
    if not CSV.is_file():
        pytest.skip("shared/data is not beside this checkout")
    with CSV.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_all_14_real_outcomes() -> None:
    rows = real_outcomes()
    assert len(rows) == 14
    for r in rows:
        outcome = article29(int(r["eligible"]), int(r["yes"]), int(r["no"]))
        assert outcome.passed == (r["passed"] == "true"), f"case {r['case_no']}"


def test_2021_case_17_shortfall() -> None:
    # Case 17 (2021): yes 3,804,689 < no 4,262,517 and below the threshold 4,956,367.
    o = article29(19825468, 3804689, 4262517)
    assert o.threshold == 4956367
    assert o.yes_missing_for_threshold == 4956367 - 3804689
    assert o.yes_missing_for_majority == 4262517 - 3804689 + 1
    assert not o.passed


@pytest.mark.parametrize(
    "eligible, yes, no, passed",
    [
        (100, 25, 24, True),  # yes exactly ceil(100/4) = 25 and more than no
        (100, 24, 10, False),  # one below the threshold
        (100, 30, 30, False),  # yes = no
        (101, 26, 0, True),  # ceil(101/4) = 26
        (101, 25, 0, False),
        (0, 0, 0, False),  # nobody eligible: yes is not more than no
        (4, 1, 0, True),
    ],
)
def test_edges(eligible: int, yes: int, no: int, passed: bool) -> None:
    assert article29(eligible, yes, no).passed is passed


@given(st.integers(0, 10**8), st.data())
def test_rule_properties(eligible: int, data: st.DataObject) -> None:
    yes = data.draw(st.integers(0, eligible))
    no = data.draw(st.integers(0, eligible - yes))
    o = article29(eligible, yes, no)
    assert o.threshold * 4 >= eligible > (o.threshold - 1) * 4 or eligible == o.threshold == 0
    assert o.passed == (yes > no and yes >= o.threshold)
    assert o.passed == (o.yes_missing_for_threshold == 0 and o.yes_missing_for_majority == 0)


@pytest.mark.parametrize("args", [(-1, 0, 0), (10, 6, 5), (10, True, 0), (10, 1.5, 0)])
def test_rule_refuses_impossible_figures(args: tuple[object, object, object]) -> None:
    with pytest.raises(ValueError):
        article29(*args)  # type: ignore[arg-type]
