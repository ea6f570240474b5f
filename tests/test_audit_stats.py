"""The audit's statistics: sampler vectors, assorters, ALPHA/BRAVO, and simulated risk.

Expected numbers are computed here independently (hashlib, math, hand algebra), never with the
code under test.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from fractions import Fraction
from pathlib import Path

import pytest

from ballots.rule import article29
from tally.audit.assertions import (
    Assertion,
    Kind,
    Reading,
    alpha_p_values,
    assertions_for,
    bravo_asn,
)
from tally.audit.sampler import SeedError, check_seed, draw, draws, ticket

ALPHA_5 = Fraction(1, 20)

# docs/audit.md §3 test vectors: SHA-256("<seed>,<i>") as a big-endian integer, mod N.
S1, S2 = "12345678901234567890", "31415926535897932384626433832795"
VECTORS = [
    (S1, 1, "4da594a8ab6064d666eab2bdf20cb4480e819e0c3102ca353de57caae1d11fd1", 1000, 425),
    (S1, 2, "ae230ec16bee77f77c7378f4eb5d265d931665e29e8bbee7e733f58d3815d338", 1000, 920),
    (S1, 3, "951e89aed686159c864c98ac1d7c42c2c2462f64d3f1e4873e47d20c997b53b0", 1000, 928),
    (S2, 1, "8c6ef9e53a413b8151efe2b80c5f1cf2bf53787732e6384be1f03243386e8978", 8145700, 826200),
]


@pytest.mark.parametrize(("seed", "i", "digest", "n", "index"), VECTORS)
def test_sampler_reproduces_its_documented_vectors(
    seed: str, i: int, digest: str, n: int, index: int
) -> None:
    by_hand = hashlib.sha256(f"{seed},{i}".encode("ascii")).hexdigest()
    assert by_hand == digest
    assert int(by_hand, 16) % n == index
    assert ticket(seed, i).hex() == digest
    assert draw(seed, i, n) == index


def test_further_rounds_extend_the_same_sequence() -> None:
    seed = "12345678901234567890"
    assert draws(seed, 1000, 1, 3) == [425, 920, 928]
    assert draws(seed, 1000, 1, 2) + draws(seed, 1000, 3, 1) == draws(seed, 1000, 1, 3)


@pytest.mark.parametrize(
    "bad",
    [
        "1234567890123456789",
        "1234567890123456789a",
        "",
        "１２３４５６７８９０１２３４５６７８９０",
        "1" * 101,
    ],
)
def test_seed_must_be_20_to_100_ascii_digits(bad: str) -> None:
    with pytest.raises(SeedError):
        check_seed(bad)


def test_seed_spaces_are_ignored() -> None:
    assert check_seed("12345 67890 12345 67890") == "12345678901234567890"


# Assorters -----------------------------------------------------------------------------


def test_assorter_values_follow_the_table() -> None:
    # N = 1000 papers, T = 300: q = 299.5 / 1000.
    maj = Assertion("17", Kind.YES_GT_NO, 1000, 300, 600, 300)
    assert [maj.value(r) for r in Reading] == [1, 0, Fraction(1, 2), Fraction(1, 2), 0]
    reach = Assertion("17", Kind.YES_REACHES, 1000, 300, 600, 300)
    assert reach.upper == Fraction(1000, 599)
    assert [reach.value(r) for r in Reading] == [Fraction(1000, 599), 0, 0, 0, 0]
    below = Assertion("17", Kind.YES_BELOW, 1000, 300, 200, 300)
    assert below.upper == Fraction(1000, 1401)
    assert [below.value(r) for r in Reading] == [0, *[Fraction(1000, 1401)] * 3, 0]


@pytest.mark.parametrize(
    ("kind", "yes", "no", "holds"),
    [
        (Kind.YES_REACHES, 300, 0, True),  # yes = T
        (Kind.YES_REACHES, 299, 0, False),
        (Kind.YES_BELOW, 299, 0, True),
        (Kind.YES_BELOW, 300, 0, False),
        (Kind.YES_GT_NO, 401, 400, True),
        (Kind.YES_GT_NO, 400, 400, False),
        (Kind.NO_GT_YES, 400, 401, True),
        (Kind.NO_GT_YES, 400, 400, False),  # a tie is only confirmed by a full count
    ],
)
def test_assorter_mean_above_half_exactly_when_the_claim_holds(
    kind: Kind, yes: int, no: int, holds: bool
) -> None:
    a = Assertion("17", kind, 1000, 300, yes, no)
    assert (a.reported_mean() > Fraction(1, 2)) is holds


def test_assertions_follow_the_reported_outcome() -> None:
    passed = article29(2000, 600, 300)  # T = 500
    assert [a.kind for a in assertions_for("17", passed, 1000)] == [
        Kind.YES_GT_NO,
        Kind.YES_REACHES,
    ]
    only_majority = article29(2000, 600, 700)  # yes ≥ T, no > yes
    assert [a.kind for a in assertions_for("17", only_majority, 1400)] == [Kind.NO_GT_YES]
    only_threshold = article29(2000, 400, 100)
    assert [a.kind for a in assertions_for("17", only_threshold, 600)] == [Kind.YES_BELOW]
    # Both reverse conditions hold: the easier one (the threshold, far away here).
    both = article29(20000, 400, 500)
    assert [a.kind for a in assertions_for("17", both, 1000)] == [Kind.YES_BELOW]


def test_too_few_papers_to_reach_the_threshold_is_certain() -> None:
    a = assertions_for("17", article29(4000, 300, 200), 600)[0]  # T = 1000 > 600 papers
    assert a.kind is Kind.YES_BELOW and a.trivially_true
    assert alpha_p_values(a, [Fraction(0)]) == [0.0]


# ALPHA and BRAVO -------------------------------------------------------------------------


def test_alpha_with_fixed_eta_is_bravo() -> None:
    """With η fixed at the reported share, ALPHA's T is BRAVO's likelihood ratio
    (Lindeman, Stark and Yates 2012, §3): (2 s_w)^w (2 − 2 s_w)^l, blanks neutral."""
    a = Assertion("17", Kind.YES_GT_NO, 1000, 1, 600, 300)  # s_w = 600 / 900
    seq = [Reading.YES, Reading.NO, Reading.YES, Reading.BLANK, Reading.YES, Reading.YES]
    p = alpha_p_values(a, [a.value(r) for r in seq], d=None)
    # η₀ = s_w = 600 / 900 = 2/3, so the factors are 2·2/3 = 4/3 and 2·1/3 = 2/3.
    lr, best, expected = 1.0, 1.0, []
    for r in seq:
        lr *= {Reading.YES: 4 / 3, Reading.NO: 2 / 3, Reading.BLANK: 1.0}[r]
        best = max(best, lr)
        expected.append(min(1.0, 1 / best))
    assert p == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("p_w", "p_l", "risk"), [(0.6, 0.4, 0.1), (0.55, 0.45, 0.05), (0.52, 0.40, 0.05)]
)
def test_bravo_asn_is_the_published_formula(p_w: float, p_l: float, risk: float) -> None:
    """Source: Lindeman, Stark and Yates, "BRAVO" (EVT/WOTE 2012), the ASN formula, as also
    given on Stark's "Tools for Ballot-Polling Risk-Limiting Election Audits" page:
    ASN ≈ (ln(1/α) + ln(2 s_w)/2) / (p_w ln(2 s_w) + p_l ln(2 − 2 s_w)), s_w = p_w/(p_w + p_l)."""
    n = 100_000
    a = Assertion("17", Kind.YES_GT_NO, n, 1, round(p_w * n), round(p_l * n))
    s_w = p_w / (p_w + p_l)
    published = (math.log(1 / risk) + math.log(2 * s_w) / 2) / (
        p_w * math.log(2 * s_w) + p_l * math.log(2 - 2 * s_w)
    )
    assert bravo_asn(a, Fraction(risk)) == pytest.approx(published, rel=1e-9)


def test_bravo_asn_known_value() -> None:
    """60% / 40% at 10% risk: by hand, (ln 10 + ln 1.2 / 2) / (0.6 ln 1.2 + 0.4 ln 0.8)
    = (2.302585 + 0.091161) / (0.109393 − 0.089257) = 118.9 draws."""
    a = Assertion("17", Kind.YES_GT_NO, 1000, 1, 600, 400)
    assert bravo_asn(a, Fraction(1, 10)) == pytest.approx(118.9, abs=0.1)


@pytest.mark.parametrize(
    ("yes", "no", "papers", "arlo"),
    [(600, 400, 1000, 119), (600, 200, 900, 22), (300, 200, 1000, 238)],
)
def test_bravo_asn_matches_arlo(yes: int, no: int, papers: int, arlo: int) -> None:
    """Independent values: VotingWorks' Arlo (the RLA software used by US states),
    server/tests/audit_math/ballot_polling/test_bravo.py, test_expected_sample_sizes, risk
    limit 10%: contests "test1" (600 / 400 of 1,000 ballots) 119, "test2" (600 / 200 / 100 of
    900) 22, "test6" (300 / 200 / 200 of 1,000) 238 — Arlo rounds the BRAVO ASN up; the other
    candidates' votes count like blank papers here."""
    a = Assertion("17", Kind.YES_GT_NO, papers, 1, yes, no)
    assert math.ceil(bravo_asn(a, Fraction(1, 10))) == arlo


# Simulation: the audit's risk ----------------------------------------------------------


def _audit_once(a: Assertion, p_yes: float, p_no: float, rng: random.Random, cap: int) -> bool:
    """One audit with replacement from a box with true shares p_yes, p_no: True = confirmed."""
    values = []
    for _ in range(cap):
        r = rng.random()
        values.append(
            a.value(Reading.YES if r < p_yes else Reading.NO if r < p_yes + p_no else Reading.BLANK)
        )
    return min(alpha_p_values(a, values)) <= float(ALPHA_5)


def _confirm_rate(
    eligible: int, reported: tuple[int, int], true: tuple[int, int], n: int, trials: int, cap: int
) -> float:
    rng = random.Random(20211218)
    outcome = article29(eligible, *reported)
    confirmed = 0
    for _ in range(trials):
        # The outcome is confirmed only if every assertion is.
        confirmed += all(
            _audit_once(a, true[0] / n, true[1] / n, rng, cap)
            for a in assertions_for("17", outcome, n)
        )
    return confirmed / trials


def test_paper_agreeing_confirms() -> None:
    # 10,000 papers, E = 20,000 (T = 5,000): yes 6,000, no 3,000: passed, and the papers agree.
    assert _confirm_rate(20_000, (6_000, 3_000), (6_000, 3_000), 10_000, 40, 2_000) == 1.0
    # failed (no > yes and yes < T), papers agree.
    assert _confirm_rate(20_000, (3_000, 6_000), (3_000, 6_000), 10_000, 40, 2_000) == 1.0


@pytest.mark.parametrize(
    ("name", "reported", "true"),
    [
        ("passed, but no ≥ yes on paper", (5_300, 4_500), (4_900, 4_950)),
        ("passed, but yes < T on paper", (5_200, 3_000), (4_990, 3_000)),
        ("failed on majority, but passed on paper", (5_100, 5_200), (5_200, 4_700)),
        ("failed on threshold, but passed on paper", (4_800, 2_000), (5_050, 2_000)),
    ],
)
def test_wrong_outcome_escalates(
    name: str, reported: tuple[int, int], true: tuple[int, int]
) -> None:
    # 12,000 papers, E = 20,000 (T = 5,000); at most 2,000 draws, then ESCALATE.
    rate = _confirm_rate(20_000, reported, true, 12_000, 200, 2_000)
    assert rate <= 0.05, name


def _results_csv() -> Path | None:
    """The CEC results in the shared data folder (`../shared/data/` of the checkout), if any."""
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "tw-referendum-results.csv"
        if candidate.is_file():
            return candidate
    return None


def test_docs_2021_figures_are_the_cec_results() -> None:
    """The table's eligible, yes and no are the CEC's 2021 figures (the CSV, when present)."""
    import csv

    path = _results_csv()
    if path is None:
        pytest.skip("no shared data folder with tw-referendum-results.csv")
    cec = {
        r["case_no"]: r for r in csv.DictReader(path.open(encoding="utf-8")) if r["year"] == "2021"
    }
    doc = (Path(__file__).parent.parent / "docs" / "audit.md").read_text()
    rows = [line for line in doc.splitlines() if line[:5] in ("| 17 ", "| 18 ", "| 19 ", "| 20 ")]
    assert len(rows) == 4
    for row in rows:
        cells = [c.strip().replace(",", "") for c in row.strip("|").split("|")]
        r = cec[cells[0]]
        assert cells[1:4] == [r["eligible"], r["yes"], r["no"]]


def test_docs_2021_sample_sizes_are_the_tools() -> None:
    """docs/audit.md §6 holds the tool's numbers for the real 2021 cases (CSV in the shared data
    folder when present; the counts are also in the table itself)."""
    doc = (Path(__file__).parent.parent / "docs" / "audit.md").read_text()
    rows = [
        line
        for line in doc.splitlines()
        if line[:5] in ("| 17 ", "| 18 ", "| 19 ", "| 20 ") and "yes<threshold" in line
    ]
    assert len(rows) == 4
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        e, y, n = (int(c.replace(",", "")) for c in cells[1:4])
        papers = {"17": 78_494, "18": 78_108, "19": 73_273, "20": 80_819}[cells[0]] + y + n
        (a,) = assertions_for(cells[0], article29(e, y, n), papers)
        assert a.kind.value == cells[5]
        assert f"{bravo_asn(a, ALPHA_5):,.0f}" == cells[6]
        assert int(cells[4].replace(",", "")) == math.ceil(e / 4)


@pytest.mark.skipif(not os.environ.get("RV_AUDIT_BENCH"), reason="benchmark: RV_AUDIT_BENCH=1")
@pytest.mark.parametrize(
    ("reported", "true"),
    [((5_300, 4_500), (4_900, 4_950)), ((5_200, 3_000), (4_990, 3_000)),
     ((5_100, 5_200), (5_200, 4_700)), ((4_800, 2_000), (5_050, 2_000))],
)  # fmt: skip
def test_benchmark_wrong_outcome_escalates(
    reported: tuple[int, int], true: tuple[int, int]
) -> None:
    """The simulation with 2,000 trials (about a minute each): confirmations ≤ 5%."""
    rate = _confirm_rate(20_000, reported, true, 12_000, 2_000, 2_000)
    print(f"reported {reported}, true {true}: wrongly confirmed in {rate:.2%} of 2,000 audits")
    assert rate <= 0.05
