"""Decision consistency: how often a second, parallel sitting would give the same pass/fail.

A certification exam is judged less by its reliability than by whether its pass/fail decisions
would repeat. With a single administration we cannot observe a retest, so both methods here
model the number-correct score of each examinee as binomial given a true proportion-correct:

* :func:`subkoviak_consistency` (Subkoviak, 1976) — the default. Each examinee's true proportion
  is Kelley's regressed estimate ``r · x/n + (1 - r) · mean/n``; the probability ``P_i`` of
  passing one parallel form is binomial, and the chance that two forms agree for that examinee
  is ``P_i² + (1 - P_i)²``. The agreement index ``p0`` averages these; chance agreement uses
  the mean pass probability ``P̄`` as ``P̄² + (1 - P̄)²``, and ``kappa = (p0 - pc)/(1 - pc)``.
  Subkoviak used KR-21 for ``r``; callers holding the item matrix should pass KR-20, which does
  not assume equally difficult items (``summarize_test`` does).
* :func:`huynh_consistency` (Huynh, 1976) — true proportions follow a beta distribution fitted
  by moments to the observed scores (the beta-binomial / KR-21 model); the bivariate
  distribution of two parallel forms is then exact, so ``p0`` and ``kappa`` need no sampling.

Both treat the cut as "pass when the score is at least ``cut_score``", so a fractional cut such
as an Angoff recommendation of 14.3 passes examinees scoring 15 or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln
from scipy.stats import binom

from extender.assessment.psychometrics_common import (
    FloatArray,
    IntArray,
    PsychometricsInputError,
    checked_total_scores,
)

__all__ = [
    "DecisionConsistency",
    "decision_consistency",
    "huynh_consistency",
    "kr21",
    "subkoviak_consistency",
]

DecisionMethod = Literal["subkoviak", "huynh"]


@dataclass(frozen=True)
class DecisionConsistency:
    """Agreement of pass/fail decisions between two hypothetical parallel sittings.

    ``agreement`` is the proportion of consistent decisions (p0); ``chance_agreement`` what
    the same pass rate would give by chance; ``kappa`` is ``None`` (with ``kappa_note``) when
    the model says every decision is certain, since chance agreement is then 1.
    ``expected_pass_rate`` is the model's pass rate on one form; ``reliability`` the value the
    model used (KR-21 unless the caller supplied one).
    """

    method: DecisionMethod
    cut_score: float
    passing_score: int
    agreement: float
    chance_agreement: float
    kappa: float | None
    kappa_note: str | None
    expected_pass_rate: float
    reliability: float


def kr21(total_scores: ArrayLike, n_items: int) -> float:
    """KR-21 from number-correct scores alone; it equals KR-20 only if every item is equally
    hard, otherwise it is lower, which is why it is the binomial models' natural reliability."""
    if isinstance(n_items, int) and n_items < 2:
        raise PsychometricsInputError("KR-21 needs at least 2 items", field="n_items")
    scores = checked_total_scores(total_scores, n_items, min_examinees=2).astype(np.float64)
    variance = float(scores.var())
    if np.ptp(scores) == 0:
        raise PsychometricsInputError(
            "total scores do not vary, so KR-21 is undefined", field="total_scores"
        )
    mean = float(scores.mean())
    k = float(n_items)
    return k / (k - 1.0) * (1.0 - mean * (k - mean) / (k * variance))


def _passing_score(cut_score: float, n_items: int) -> int:
    cut = float(cut_score)
    if not (math.isfinite(cut) and 0.0 < cut <= n_items):
        raise PsychometricsInputError(
            f"cut_score must be above 0 and at most {n_items} (the number of items), "
            f"got {cut_score!r}",
            field="cut_score",
        )
    return math.ceil(cut)


def _kappa(p0: float, pc: float) -> tuple[float | None, str | None]:
    if 1.0 - pc <= 1e-12:
        return None, "every decision is certain under the model, so chance agreement is 1"
    return (p0 - pc) / (1.0 - pc), None


def subkoviak_consistency(
    total_scores: ArrayLike,
    n_items: int,
    cut_score: float,
    *,
    reliability: float | None = None,
) -> DecisionConsistency:
    """Subkoviak's single-administration agreement index and kappa.

    ``total_scores`` is (N,) number-correct scores on an ``n_items`` dichotomous test. A
    negative reliability is clipped to 0 for the regression (every examinee then shares the
    group mean), so kappa comes out 0 rather than absurd; the unclipped value is reported.
    """
    scores = checked_total_scores(
        total_scores, n_items, min_examinees=2 if reliability is None else 1
    )
    passing = _passing_score(cut_score, n_items)
    if reliability is None:
        r = kr21(scores, n_items)
    else:
        r = float(reliability)
        if not (math.isfinite(r) and r <= 1.0):
            raise PsychometricsInputError(
                f"reliability must be a finite number at most 1, got {reliability!r}",
                field="reliability",
            )
    weight = min(1.0, max(0.0, r))
    n = float(n_items)
    tau = weight * scores / n + (1.0 - weight) * float(scores.mean()) / n
    p_pass = np.asarray(binom.sf(passing - 1, n_items, tau), dtype=np.float64)
    p0 = float(np.mean(p_pass**2 + (1.0 - p_pass) ** 2))
    p_bar = float(p_pass.mean())
    pc = p_bar**2 + (1.0 - p_bar) ** 2
    kappa, note = _kappa(p0, pc)
    return DecisionConsistency(
        "subkoviak", float(cut_score), passing, p0, pc, kappa, note, p_bar, r
    )


def beta_binomial_parameters(total_scores: IntArray, n_items: int) -> tuple[float, float, float]:
    """Moment estimates (alpha, beta) of the beta distribution of true proportions, with the
    KR-21 they imply; the fitted beta-binomial reproduces the observed mean and variance."""
    r21 = kr21(total_scores, n_items)
    # A KR-21 that is zero up to rounding (1e-16, say) would give alpha and beta of order
    # 1e16, where the beta functions lose all precision; treat it as zero.
    if r21 <= 1e-9:
        raise PsychometricsInputError(
            f"KR-21 is {r21:.3f}: the scores vary no more than chance, so there is no "
            "beta-binomial model to fit; use Subkoviak's method",
            field="total_scores",
        )
    if r21 >= 1.0 - 1e-9:
        raise PsychometricsInputError(
            "every score is 0 or full marks (KR-21 = 1), so the fitted beta distribution "
            "degenerates to two points; use Subkoviak's method",
            field="total_scores",
        )
    mean = float(np.mean(total_scores))
    a = (1.0 / r21 - 1.0) * mean
    b = -a + n_items / r21 - n_items
    return a, b, r21


def parallel_form_distribution(n_items: int, a: float, b: float) -> FloatArray:
    """Joint probabilities of scores (x, y) on two parallel forms, shape (n+1, n+1).

    Integrating two independent binomials against one beta gives a closed form through the
    beta function, so no quadrature error enters the agreement index.
    """
    x = np.arange(n_items + 1, dtype=np.float64)
    log_choose = gammaln(n_items + 1.0) - gammaln(x + 1.0) - gammaln(n_items - x + 1.0)
    s = x[:, None] + x[None, :]
    log_joint = (
        log_choose[:, None]
        + log_choose[None, :]
        + betaln(a + s, b + 2.0 * n_items - s)
        - betaln(a, b)
    )
    return np.asarray(np.exp(log_joint), dtype=np.float64)


def huynh_consistency(
    total_scores: ArrayLike, n_items: int, cut_score: float
) -> DecisionConsistency:
    """Huynh's beta-binomial agreement index and kappa from (N,) number-correct scores."""
    scores = checked_total_scores(total_scores, n_items, min_examinees=2)
    passing = _passing_score(cut_score, n_items)
    a, b, r21 = beta_binomial_parameters(scores, n_items)
    joint = parallel_form_distribution(n_items, a, b)
    fail = np.arange(n_items + 1) < passing
    p0 = float(joint[np.ix_(fail, fail)].sum() + joint[np.ix_(~fail, ~fail)].sum())
    p_pass = float(joint.sum(axis=1)[~fail].sum())
    pc = p_pass**2 + (1.0 - p_pass) ** 2
    kappa, note = _kappa(p0, pc)
    return DecisionConsistency("huynh", float(cut_score), passing, p0, pc, kappa, note, p_pass, r21)


def decision_consistency(
    total_scores: ArrayLike,
    n_items: int,
    cut_score: float,
    *,
    method: DecisionMethod = "subkoviak",
    reliability: float | None = None,
) -> DecisionConsistency:
    """Dispatch by method name, for reports that let the psychometrician choose."""
    if method == "subkoviak":
        return subkoviak_consistency(total_scores, n_items, cut_score, reliability=reliability)
    if method == "huynh":
        if reliability is not None:
            raise PsychometricsInputError(
                "Huynh's method fits its own reliability (KR-21); do not pass one",
                field="reliability",
            )
        return huynh_consistency(total_scores, n_items, cut_score)
    raise PsychometricsInputError(
        f"method must be 'subkoviak' or 'huynh', got {method!r}", field="method"
    )
