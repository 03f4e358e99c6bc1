"""Mantel-Haenszel differential item functioning (DIF) for a reference and a focal group.

DIF asks whether examinees of equal proficiency but different groups have different odds of
answering an item correctly. Proficiency is matched by stratifying on the total score (the
default, which includes the studied item as Holland and Thayer recommend, so that a DIF-free
item under the Rasch model shows no DIF) or on the rest score. In each stratum k the 2x2 table
is ``[[A, B], [C, D]]``: rows reference / focal, columns correct / incorrect.

* ``alpha_MH = Σ(A·D/T) / Σ(B·C/T)``; above 1 the item favours the reference group.
* ``MH χ² = (max(0, |ΣA - ΣE(A)| - ½))² / ΣVar(A)`` with ``E(A) = n_R·m_1/T`` and
  ``Var(A) = n_R·n_F·m_1·m_0 / (T²(T - 1))``: the continuity-corrected Mantel-Haenszel test on
  one degree of freedom (the correction is floored at 0 so it never inflates χ²).
* ``Δ_MH = -2.35 · ln(alpha_MH)`` (ETS delta metric; negative = harder for the focal group),
  with its standard error ``2.35 ·`` the Robins-Breslow-Greenland SE of ``ln(alpha_MH)``.

ETS categories (Dorans & Holland, 1993; Zwick, 2012), at significance level ``alpha``:

* **A** (negligible): MH χ² not significant, or ``|Δ| < 1``;
* **C** (large): ``|Δ| ≥ 1.5`` and ``|Δ|`` significantly greater than 1, tested one-sided as
  ``(|Δ| - 1) / SE(Δ) > z(1 - alpha)`` (1.645 at .05), the interval-null test of ``|Δ| ≤ 1``;
* **B** (moderate): every other item.

Strata lacking either group or either outcome carry no information about the odds ratio and
add exactly zero to both sums and to the χ² numerator and variance, so they are dropped and
counted in ``strata_dropped`` rather than treated as errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import chi2, norm

from extender.assessment.psychometrics_common import (
    FloatArray,
    IntArray,
    PsychometricsInputError,
    as_float_array,
    checked_probability,
    describe_indices,
    scored_matrix,
)

__all__ = [
    "ETS_DELTA_SCALE",
    "MantelHaenszelDif",
    "ets_dif_category",
    "mantel_haenszel",
    "mantel_haenszel_dif",
    "screen_dif",
]

ETS_DELTA_SCALE = 2.35
EtsCategory = Literal["A", "B", "C"]
Matching = Literal["total", "rest"]


@dataclass(frozen=True)
class MantelHaenszelDif:
    """DIF statistics for one item. Quantities that do not exist for the data are ``None``
    and ``note`` says why (e.g. an unbounded odds ratio when no reference examinee in any
    informative stratum got the item wrong)."""

    item: int | None
    alpha_mh: float | None
    delta: float | None
    delta_se: float | None
    chi_square: float | None
    p_value: float | None
    ets_category: EtsCategory | None
    favors: Literal["reference", "focal"] | None
    n_reference: int
    n_focal: int
    strata_used: int
    strata_dropped: int
    note: str | None


def ets_dif_category(
    delta: float, delta_se: float, p_value: float, *, alpha: float = 0.05
) -> EtsCategory:
    """ETS A/B/C class from the MH delta, its SE and the MH χ² p-value (rules in the module
    docstring)."""
    level = checked_probability(alpha, "alpha", open_low=True)
    size = abs(float(delta))
    if p_value >= level or size < 1.0:
        return "A"
    if size >= 1.5 and delta_se > 0 and (size - 1.0) / delta_se > norm.ppf(1.0 - level):
        return "C"
    return "B"


def _checked_tables(tables: ArrayLike) -> FloatArray:
    t = as_float_array(tables, "tables")
    if t.ndim != 3 or t.shape[1:] != (2, 2) or t.shape[0] == 0:
        raise PsychometricsInputError(
            f"tables must have shape (strata, 2, 2), got {t.shape}", field="tables"
        )
    bad = ~np.isfinite(t) | (t < 0) | (t != np.round(t))
    if bad.any():
        strata = describe_indices(bad.reshape(t.shape[0], -1).any(axis=1))
        raise PsychometricsInputError(
            f"tables must hold non-negative whole counts; bad stratum/strata {strata}",
            field="tables",
        )
    return t


def _rbg_variance(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> float:
    """Robins-Breslow-Greenland variance of ln(alpha_MH), consistent in both sparse-strata
    and large-strata limits, which matters because score strata are often thin."""
    t = a + b + c + d
    r, s = a * d / t, b * c / t
    p, q = (a + d) / t, (b + c) / t
    big_r, big_s = float(r.sum()), float(s.sum())
    return float(
        (p * r).sum() / (2.0 * big_r**2)
        + (p * s + q * r).sum() / (2.0 * big_r * big_s)
        + (q * s).sum() / (2.0 * big_s**2)
    )


def mantel_haenszel(
    tables: ArrayLike, *, alpha: float = 0.05, item: int | None = None
) -> MantelHaenszelDif:
    """MH DIF from (K, 2, 2) stratum tables ``[[A, B], [C, D]]`` (reference/focal x
    correct/incorrect), for callers that build strata themselves (e.g. pooled forms)."""
    level = checked_probability(alpha, "alpha", open_low=True)
    t = _checked_tables(tables)
    n_ref, n_foc = int(t[:, 0, :].sum()), int(t[:, 1, :].sum())
    margins = (t.sum(axis=2).min(axis=1) > 0) & (t.sum(axis=1).min(axis=1) > 0)
    used = t[margins]
    counts = (n_ref, n_foc, int(margins.sum()), int((~margins).sum()))
    if used.shape[0] == 0:
        note = "no score stratum holds both groups and both outcomes, so DIF cannot be assessed"
        return MantelHaenszelDif(item, None, None, None, None, None, None, None, *counts, note)
    a, b, c, d = used[:, 0, 0], used[:, 0, 1], used[:, 1, 0], used[:, 1, 1]
    total = a + b + c + d
    n_r, n_f, m_1, m_0 = a + b, c + d, a + c, b + d
    expected = float((n_r * m_1 / total).sum())
    variance = float((n_r * n_f * m_1 * m_0 / (total**2 * (total - 1.0))).sum())
    chi_square = max(0.0, abs(float(a.sum()) - expected) - 0.5) ** 2 / variance
    p_value = float(chi2.sf(chi_square, 1))
    sum_r, sum_s = float((a * d / total).sum()), float((b * c / total).sum())
    if sum_r == 0.0 or sum_s == 0.0:
        bound = "zero" if sum_r == 0.0 else "unbounded"
        note = (
            f"the common odds ratio is {bound}: in every informative stratum one group's "
            "off-diagonal cells are empty, so delta and the ETS category are undefined"
        )
        return MantelHaenszelDif(
            item, None, None, None, chi_square, p_value, None, None, *counts, note
        )
    alpha_mh = sum_r / sum_s
    delta = -ETS_DELTA_SCALE * math.log(alpha_mh)
    delta_se = ETS_DELTA_SCALE * math.sqrt(_rbg_variance(a, b, c, d))
    favors: Literal["reference", "focal"] | None = (
        "reference" if alpha_mh > 1.0 else "focal" if alpha_mh < 1.0 else None
    )
    category = ets_dif_category(delta, delta_se, p_value, alpha=level)
    return MantelHaenszelDif(
        item, alpha_mh, delta, delta_se, chi_square, p_value, category, favors, *counts, None
    )


def _checked_group(group: ArrayLike, n: int) -> IntArray:
    g = as_float_array(group, "group")
    if g.shape != (n,):
        raise PsychometricsInputError(
            f"group must have one entry per examinee ({n}), got shape {g.shape}", field="group"
        )
    bad = ~((g == 0.0) | (g == 1.0))
    if bad.any():
        raise PsychometricsInputError(
            f"group must be 0 (reference) or 1 (focal); bad entries at {describe_indices(bad)}",
            field="group",
        )
    if g.min() == g.max():
        raise PsychometricsInputError(
            "group must contain both reference (0) and focal (1) examinees", field="group"
        )
    return g.astype(np.int64)


def _stratum_tables(x: FloatArray, focal: IntArray, item: int, matching: Matching) -> FloatArray:
    criterion = x.sum(axis=1)
    if matching == "rest":
        criterion = criterion - x[:, item]
    levels, stratum = np.unique(criterion, return_inverse=True)
    tables = np.zeros((levels.size, 2, 2), dtype=np.float64)
    incorrect = (1.0 - x[:, item]).astype(np.int64)
    np.add.at(tables, (stratum, focal, incorrect), 1.0)
    return tables


def _checked_matching(matching: str) -> Matching:
    if matching == "total":
        return "total"
    if matching == "rest":
        return "rest"
    raise PsychometricsInputError(
        f"matching must be 'total' or 'rest', got {matching!r}", field="matching"
    )


def mantel_haenszel_dif(
    scored: ArrayLike,
    group: ArrayLike,
    item: int,
    *,
    matching: Matching = "total",
    alpha: float = 0.05,
) -> MantelHaenszelDif:
    """MH DIF for column ``item`` of a complete (N, J) 0/1 matrix; ``group`` is (N,) with
    0 = reference, 1 = focal. Strata are the distinct values of the matching score."""
    x = scored_matrix(scored, allow_missing=False)
    focal = _checked_group(group, x.shape[0])
    if isinstance(item, bool) or not isinstance(item, int | np.integer):
        raise PsychometricsInputError(f"item must be a column index, got {item!r}", field="item")
    if not 0 <= item < x.shape[1]:
        raise PsychometricsInputError(
            f"item {item} is out of range for {x.shape[1]} columns", field="item"
        )
    tables = _stratum_tables(x, focal, int(item), _checked_matching(matching))
    return mantel_haenszel(tables, alpha=alpha, item=int(item))


def screen_dif(
    scored: ArrayLike,
    group: ArrayLike,
    *,
    matching: Matching = "total",
    alpha: float = 0.05,
) -> tuple[MantelHaenszelDif, ...]:
    """MH DIF for every item, in column order, for the report's DIF table."""
    x = scored_matrix(scored, allow_missing=False)
    return tuple(
        mantel_haenszel_dif(x, group, j, matching=matching, alpha=alpha) for j in range(x.shape[1])
    )
