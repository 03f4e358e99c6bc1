"""Test-level statistics for the exam report: reliability, measurement error, the score
distribution and the pass/fail picture at the cut.

Variances are population variances (divide by N): the report describes the examinees who sat
this form, not a sample drawn from elsewhere. KR-20 and alpha are ratios of variances, so the
choice does not move them; it only enters the SD printed in the report and the SEM, which use
the same SD so that ``sem == sd * sqrt(1 - reliability)`` holds exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.psychometrics_common import (
    FloatArray,
    IntArray,
    PsychometricsInputError,
    as_float_array,
    describe_positions,
    scored_matrix,
)
from extender.assessment.psychometrics_decision import (
    DecisionConsistency,
    DecisionMethod,
    decision_consistency,
)

__all__ = [
    "TestSummary",
    "coefficient_alpha",
    "conditional_sem_binomial",
    "kr20",
    "score_distribution",
    "standard_error_of_measurement",
    "summarize_test",
]


def _no_variance(totals: FloatArray) -> bool:
    return bool(np.ptp(totals) == 0)


def kr20(scored: ArrayLike) -> float:
    """Kuder-Richardson 20 of a complete (N, J) 0/1 matrix, J >= 2.

    Written with ``sum p q`` rather than by calling alpha so the two can check each other.
    Can be negative when items correlate negatively on average; that is reported, not hidden.
    """
    x = scored_matrix(scored, allow_missing=False, min_items=2)
    totals = x.sum(axis=1)
    if _no_variance(totals):
        raise PsychometricsInputError(
            "total scores do not vary, so reliability is undefined", field="scored"
        )
    k = float(x.shape[1])
    p = x.mean(axis=0)
    return k / (k - 1.0) * (1.0 - float(np.sum(p * (1.0 - p))) / float(totals.var()))


def coefficient_alpha(scores: ArrayLike) -> float:
    """Cronbach's alpha of a complete (N, J) matrix of item scores (any real scoring), J >= 2;
    on 0/1 data it is KR-20."""
    x = scored_matrix(scores, name="scores", allow_missing=False, dichotomous=False, min_items=2)
    totals = x.sum(axis=1)
    if _no_variance(totals):
        raise PsychometricsInputError(
            "total scores do not vary, so reliability is undefined", field="scores"
        )
    k = float(x.shape[1])
    return k / (k - 1.0) * (1.0 - float(x.var(axis=0).sum()) / float(totals.var()))


def standard_error_of_measurement(sd: float, reliability: float) -> float:
    """``SD · sqrt(1 - reliability)``: the spread of an examinee's observed score around their
    true score, in raw-score points. A negative reliability makes it exceed the SD, which is
    itself the warning."""
    s, r = float(sd), float(reliability)
    if not (math.isfinite(s) and s >= 0.0):
        raise PsychometricsInputError(f"sd must be finite and >= 0, got {sd!r}", field="sd")
    if not (math.isfinite(r) and r <= 1.0):
        raise PsychometricsInputError(
            f"reliability must be finite and at most 1, got {reliability!r}", field="reliability"
        )
    return s * math.sqrt(1.0 - r)


def conditional_sem_binomial(n_items: int) -> FloatArray:
    """Lord's binomial-error conditional SEM at each raw score 0..n, shape (n+1,).

    ``sqrt(x (n - x) / (n - 1))``: error is largest mid-scale and vanishes at the extremes,
    which is what matters near a cut score that is far from the mean.
    """
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 2:
        raise PsychometricsInputError(
            f"n_items must be an integer >= 2, got {n_items!r}", field="n_items"
        )
    x = np.arange(n_items + 1, dtype=np.float64)
    return np.asarray(np.sqrt(x * (n_items - x) / (n_items - 1.0)), dtype=np.float64)


def score_distribution(total_scores: ArrayLike, max_score: float) -> IntArray:
    """Counts of total scores in unit bins ``[k, k+1)`` for k = 0..floor(max_score), the last
    bin closed; for number-correct scores, entry k is simply how many scored k."""
    totals = as_float_array(total_scores, "total_scores")
    top = float(max_score)
    if not (math.isfinite(top) and top >= 0.0):
        raise PsychometricsInputError("max_score must be finite and >= 0", field="max_score")
    if totals.ndim != 1 or totals.size == 0:
        raise PsychometricsInputError(
            "total_scores must be a non-empty 1-D array", field="total_scores"
        )
    if not np.all(np.isfinite(totals) & (totals >= 0) & (totals <= top)):
        raise PsychometricsInputError(
            f"total_scores must lie between 0 and {top:g}", field="total_scores"
        )
    bins = math.floor(top) + 1
    index = np.minimum(np.floor(totals).astype(np.int64), bins - 1)
    return np.asarray(np.bincount(index, minlength=bins), dtype=np.int64)


@dataclass(frozen=True)
class TestSummary:
    """The test-level half of the exam report.

    ``histogram[k]`` counts totals in ``[k, k+1)``. ``reliability`` is KR-20 for 0/1 data and
    coefficient alpha otherwise (``reliability_method`` says which); when it is undefined it
    is ``None`` and ``notes`` says why, as for every other ``None`` here. ``conditional_sem``
    is Lord's binomial CSEM at each raw score (0/1 data only). ``decision_consistency`` uses
    the method chosen; Subkoviak's is fed KR-20.
    """

    __test__ = False  # not a pytest class, despite the name

    n_examinees: int
    n_items: int
    dichotomous: bool
    max_score: float
    mean: float
    sd: float
    minimum: float
    maximum: float
    histogram: tuple[int, ...]
    reliability: float | None
    reliability_method: str
    sem: float | None
    conditional_sem: tuple[float, ...] | None
    cut_score: float | None
    pass_rate: float | None
    decision_consistency: DecisionConsistency | None
    notes: tuple[str, ...]


def _item_maxima(x: FloatArray, item_max_scores: Sequence[float] | None) -> FloatArray:
    if (x < 0).any():
        raise PsychometricsInputError(
            f"item scores must be >= 0; negative at {describe_positions(x < 0)}", field="scored"
        )
    if item_max_scores is None:
        return np.asarray(np.maximum(x.max(axis=0), 1.0), dtype=np.float64)
    maxima = as_float_array(item_max_scores, "item_max_scores")
    if maxima.shape != (x.shape[1],) or not np.all(np.isfinite(maxima) & (maxima > 0)):
        raise PsychometricsInputError(
            f"item_max_scores needs {x.shape[1]} positive finite values", field="item_max_scores"
        )
    above = x > maxima[None, :]
    if above.any():
        raise PsychometricsInputError(
            f"item scores exceed item_max_scores at {describe_positions(above)}", field="scored"
        )
    return maxima


def _reliability(x: FloatArray, dichotomous: bool, notes: list[str]) -> float | None:
    if x.shape[1] < 2:
        notes.append("reliability needs at least 2 items")
        return None
    if _no_variance(x.sum(axis=1)):
        notes.append("total scores do not vary, so reliability is undefined")
        return None
    return kr20(x) if dichotomous else coefficient_alpha(x)


def _decision(
    totals: FloatArray,
    n_items: int,
    cut: float,
    method: DecisionMethod,
    reliability: float | None,
    notes: list[str],
) -> DecisionConsistency | None:
    if reliability is None and method == "subkoviak":
        notes.append("decision consistency needs a reliability estimate")
        return None
    try:
        return decision_consistency(
            totals,
            n_items,
            cut,
            method=method,
            reliability=reliability if method == "subkoviak" else None,
        )
    except PsychometricsInputError as exc:
        notes.append(f"decision consistency not computed: {exc.message}")
        return None


def summarize_test(
    scored: ArrayLike,
    *,
    cut_score: float | None = None,
    item_max_scores: Sequence[float] | None = None,
    decision_method: DecisionMethod = "subkoviak",
) -> TestSummary:
    """Summary statistics of a complete (N, J) score matrix (one form, no NaN).

    Data are treated as dichotomous when every score is 0/1 and no ``item_max_scores`` above
    1 are given; then KR-20, Lord's CSEM and decision consistency are reported. Polytomous
    items need ``item_max_scores`` only to size the histogram correctly (default: the largest
    observed score per item, at least 1). Examinees pass when ``total >= cut_score``.
    """
    x = scored_matrix(scored, allow_missing=False, dichotomous=False)
    maxima = _item_maxima(x, item_max_scores)
    dichotomous = bool(np.all(maxima == 1.0) and np.all((x == 0.0) | (x == 1.0)))
    n_items = x.shape[1]
    max_score = float(maxima.sum())
    totals = x.sum(axis=1)
    notes: list[str] = []
    reliability = _reliability(x, dichotomous, notes)
    sd = float(totals.std())
    pass_rate = consistency = None
    if cut_score is not None:
        cut = float(cut_score)
        if not (math.isfinite(cut) and 0.0 <= cut <= max_score):
            raise PsychometricsInputError(
                f"cut_score must be between 0 and {max_score:g}", field="cut_score"
            )
        pass_rate = float(np.mean(totals >= cut))
        if dichotomous:
            consistency = _decision(totals, n_items, cut, decision_method, reliability, notes)
        else:
            notes.append("decision consistency needs 0/1 items (binomial model)")
    return TestSummary(
        n_examinees=x.shape[0],
        n_items=n_items,
        dichotomous=dichotomous,
        max_score=max_score,
        mean=float(totals.mean()),
        sd=sd,
        minimum=float(totals.min()),
        maximum=float(totals.max()),
        histogram=tuple(int(c) for c in score_distribution(totals, max_score)),
        reliability=reliability,
        reliability_method="KR-20" if dichotomous else "coefficient alpha",
        sem=None if reliability is None else standard_error_of_measurement(sd, reliability),
        conditional_sem=(
            tuple(float(v) for v in conditional_sem_binomial(n_items))
            if dichotomous and n_items >= 2
            else None
        ),
        cut_score=None if cut_score is None else float(cut_score),
        pass_rate=pass_rate,
        decision_consistency=consistency,
        notes=tuple(notes),
    )
