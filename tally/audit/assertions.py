"""Art. 29's conditions as SHANGRLA assorters, and the ALPHA test martingale (docs/audit.md §2).

An assertion is a claim "the mean of assorter A over the N papers in the boxes is > 1/2"; A
takes values in [0, u]. Every reported outcome of Art. 29 (yes > no and yes ≥ T, T =
ceil(E / 4), E the eligible voters) rests on assertions of this kind:

    kind            claim       A(yes)    A(no)         A(blank or declined)   u
    yes>no          yes > no    1         0             1/2                    1
    no>yes          no > yes    0         1             1/2                    1
    yes>=threshold  yes ≥ T     1/(2q)    0             0                      1/(2q)
    yes<threshold   yes < T     0         1/(2(1−q))    1/(2(1−q))             1/(2(1−q))

with q = (T − 1/2) / N: since counts are whole numbers, yes ≥ T ⇔ yes > T − 1/2. A missing paper,
or a paper that is not one of this box's paper records, counts 0 for every assertion (the worst
case). "passed" rests on yes>no AND yes>=threshold; "failed" rests on no>yes OR yes<threshold, and
the audit tests the one whose BRAVO expected sample (below, from the reported counts) is smaller,
chosen before any paper is drawn; a reported tie (yes = no) is only confirmed by a full count.

The test is ALPHA (Stark 2023) for sampling with replacement (μ = 1/2 for every draw):

    T_j = Π_{i≤j} ( x_i·η_i/μ + (u − x_i)(u − η_i)/(u − μ) ) / u,   p_j = min(1, 1 / max_{i≤j} T_i)

with η_i the truncated shrinkage estimator: η_i = min(max((d·η₀ + S_{i−1})/(d + i − 1), μ + ε_i),
0.99·u), ε_i = (η₀ − μ)/(2·√(d + i − 1)), d = 100, η₀ from the reported counts (`eta0`) and
S_{i−1} the sum of the earlier values. η_i depends only on earlier draws, so T is a
nonnegative supermartingale under the null and P(p_j ≤ α for some j) ≤ α (Ville). With d = None
η_i = η₀ for every draw, which is BRAVO (Lindeman, Stark and Yates 2012) exactly.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from ballots.ballot import Choice
from ballots.rule import Article29

MU = Fraction(1, 2)
D_SHRINK = 100
ETA_CAP = 0.99


class Kind(Enum):
    YES_GT_NO = "yes>no"
    NO_GT_YES = "no>yes"
    YES_REACHES = "yes>=threshold"
    YES_BELOW = "yes<threshold"


class Reading(Enum):
    """What a paper says for one question, or that the paper counts worst case."""

    YES = "Y"
    NO = "N"
    BLANK = "B"
    DECLINED = "D"
    WORST = "-"  # missing, or not one of this box's paper records


_FROM_CHOICE = {Choice.YES: Reading.YES, Choice.NO: Reading.NO, Choice.BLANK: Reading.BLANK}


def reading(choice: Choice | None) -> Reading:
    """A paper's answer (None: declined) as a Reading."""
    return Reading.DECLINED if choice is None else _FROM_CHOICE[choice]


@dataclass(frozen=True, slots=True)
class Assertion:
    question_id: str
    kind: Kind
    papers: int  # N: papers in the boxes (the manifest)
    threshold: int  # T = ceil(E / 4)
    yes: int  # reported
    no: int  # reported

    @property
    def q(self) -> Fraction:
        return (self.threshold - MU) / self.papers

    @property
    def trivially_true(self) -> bool:
        """yes<threshold with fewer papers than T − 1/2: no count of the papers can reach T."""
        return self.kind is Kind.YES_BELOW and self.q >= 1

    @property
    def upper(self) -> Fraction:
        match self.kind:
            case Kind.YES_GT_NO | Kind.NO_GT_YES:
                return Fraction(1)
            case Kind.YES_REACHES:
                return 1 / (2 * self.q)
            case Kind.YES_BELOW:
                return Fraction(1) if self.trivially_true else 1 / (2 * (1 - self.q))

    def value(self, r: Reading) -> Fraction:
        if r is Reading.WORST:
            return Fraction(0)
        match self.kind:
            case Kind.YES_GT_NO:
                return {Reading.YES: Fraction(1), Reading.NO: Fraction(0)}.get(r, MU)
            case Kind.NO_GT_YES:
                return {Reading.NO: Fraction(1), Reading.YES: Fraction(0)}.get(r, MU)
            case Kind.YES_REACHES:
                return self.upper if r is Reading.YES else Fraction(0)
            case Kind.YES_BELOW:
                return Fraction(0) if r is Reading.YES else self.upper

    def eta0(self) -> Fraction:
        """The η₀ of the test: the fixed η that makes T grow fastest if the reported counts are
        right. For yes>no (no>yes) the share among yes and no votes, as BRAVO's s_w (blanks and
        declined neither help nor hurt); for the threshold assorters, their reported mean."""
        match self.kind:
            case Kind.YES_GT_NO | Kind.NO_GT_YES:
                valid = self.yes + self.no
                if valid == 0:
                    return MU
                return Fraction(self.yes if self.kind is Kind.YES_GT_NO else self.no, valid)
            case _:
                return self.reported_mean()

    def reported_mean(self) -> Fraction:
        """η₀: the assorter's mean over the papers if the reported counts are right."""
        n, y, no = self.papers, self.yes, self.no
        other = n - y - no
        total = (
            y * self.value(Reading.YES)
            + no * self.value(Reading.NO)
            + other * self.value(Reading.BLANK)
        )
        return total / n


def assertions_for(question_id: str, outcome: Article29, papers: int) -> tuple[Assertion, ...]:
    """The assertions the reported outcome rests on (docs/audit.md §2)."""
    if papers < 1:
        raise ValueError("there are no papers to audit")

    def make(kind: Kind) -> Assertion:
        return Assertion(question_id, kind, papers, outcome.threshold, outcome.yes, outcome.no)

    if outcome.passed:
        return (make(Kind.YES_GT_NO), make(Kind.YES_REACHES))
    candidates = []
    if outcome.no >= outcome.yes:
        candidates.append(make(Kind.NO_GT_YES))
    if outcome.yes < outcome.threshold:
        candidates.append(make(Kind.YES_BELOW))
    # The easier one, from the reported counts only (before any draw); ties keep table order.
    return (min(candidates, key=lambda a: (bravo_asn(a, Fraction(1, 20)), a.kind.value)),)


def bravo_asn(a: Assertion, risk_limit: Fraction) -> float:
    """BRAVO's expected sample size (Lindeman, Stark and Yates 2012, the ASN formula), for any
    assorter with η fixed at η₀: (ln(1/α) + ln(2η₀)/2) over the expected log-increment of T per
    draw under the reported counts (ln(2η₀) is the largest one-draw increment, the overshoot
    allowance). For yes>no it is the published formula exactly. inf if η₀ ≤ 1/2."""
    if a.trivially_true:
        return 0.0
    u, eta = float(a.upper), float(a.eta0())
    if eta <= 0.5:
        return math.inf
    n = a.papers
    other = n - a.yes - a.no
    drift = 0.0
    for count, r in ((a.yes, Reading.YES), (a.no, Reading.NO), (other, Reading.BLANK)):
        if count:
            drift += count / n * math.log(_factor(float(a.value(r)), u, eta))
    overshoot = math.log(2 * eta) / 2
    return (math.log(1 / float(risk_limit)) + overshoot) / drift if drift > 0 else math.inf


def _eta(eta0: float, s: float, j: int, u: float, d: int | None) -> float:
    """η_j from η₀ and the sum s of the j − 1 earlier values (fixed η₀ when d is None)."""
    mu = 0.5
    if d is None:
        eta = eta0
    else:
        m = d + j - 1
        eps = max(0.0, (eta0 - mu) / (2 * math.sqrt(m)))
        eta = max((d * eta0 + s) / m, mu + eps)
    return min(max(eta, mu), ETA_CAP * u)


def _factor(x: float, u: float, eta: float) -> float:
    mu = 0.5
    return (x * eta / mu + (u - x) * (u - eta) / (u - mu)) / u


def alpha_p_values(
    a: Assertion, values: Sequence[Fraction], d: int | None = D_SHRINK
) -> list[float]:
    """The running p-value after each draw (ALPHA, sampling with replacement)."""
    if a.trivially_true:
        return [0.0 for _ in values]
    u, eta0 = float(a.upper), float(a.eta0())
    t, t_max, s = 1.0, 1.0, 0.0
    out = []
    for j, x in enumerate(values, 1):
        xf = float(x)
        t *= _factor(xf, u, _eta(eta0, s, j, u, d))
        s += xf
        t_max = max(t_max, t)
        out.append(min(1.0, 1.0 / t_max))
    return out


def simulated_sample_size(
    a: Assertion,
    risk_limit: Fraction,
    *,
    trials: int = 400,
    quantile: float = 0.9,
    cap: int = 100_000,
    seed: int = 2021,
) -> int:
    """Draws needed to confirm in `quantile` of simulated audits when the reported counts are
    exactly right (papers drawn with replacement from the reported distribution); cap + 1 when
    more than the cap are needed. Deterministic for a given `seed`."""
    if a.trivially_true:
        return 0
    rng = random.Random(seed)  # noqa: S311 - a simulation, no secret
    n = a.papers
    u, eta0, alpha = float(a.upper), float(a.eta0()), float(risk_limit)
    vy, vn, vo = (float(a.value(r)) for r in (Reading.YES, Reading.NO, Reading.BLANK))
    p_yes, p_no = a.yes / n, a.no / n
    sizes = []
    for _ in range(trials):
        t, s, j = 1.0, 0.0, 0
        while j < cap:
            j += 1
            r = rng.random()
            x = vy if r < p_yes else vn if r < p_yes + p_no else vo
            t *= _factor(x, u, _eta(eta0, s, j, u, D_SHRINK))
            s += x
            if t >= 1 / alpha:
                break
        else:
            j = cap + 1
        sizes.append(j)
    sizes.sort()
    return sizes[min(len(sizes) - 1, math.ceil(quantile * len(sizes)) - 1)]
