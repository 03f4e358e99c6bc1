"""Response matrices as the estimation code consumes them.

Examinees sit different forms, so most cells of an examinee-by-item matrix are empty. A cell is
missing when it is NaN, negative, or ``False`` in an explicit ``observed`` mask. Everything here
is computed once per calibration; the EM loop then only does matrix products with it.

The E-step needs, for every examinee and quadrature node, ``sum_j log P_j(x_ij | theta_q)``.
Writing category 0 as the baseline turns that into
``indicator @ (log P_k - log P_0) + observed @ log P_0`` where ``indicator`` has one column per
(item, category >= 1). For dichotomous items ``indicator`` is just the 0/1 response matrix, so
the likelihood costs one matrix product when nobody has missing data and two otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike, NDArray

from extender.assessment.irt.models import BoolArray, FloatArray, IntArray, IrtInputError

__all__ = ["ResponseMatrix", "prepare_responses"]


@dataclass(frozen=True)
class ResponseMatrix:
    """Responses coded for estimation.

    ``categories`` holds the observed category (0-based) or -1 when missing. ``indicator`` has
    a column for every (item, category >= 1) pair, listed item by item; ``column_item`` and
    ``column_category`` say which pair each column is. ``complete`` is true when nothing is
    missing, which lets the E-step drop the baseline product. The derived arrays are built on
    first use: complete data never needs the float mask, and the ``_t`` arrays are
    C-contiguous transposes because BLAS forms ``indicator.T @ posterior`` up to twice as fast
    from them as from a transposed view, and that product runs once per EM iteration.
    """

    categories: IntArray
    observed: BoolArray
    n_categories: IntArray
    indicator: FloatArray
    column_item: IntArray
    column_category: IntArray
    complete: bool

    @cached_property
    def observed_float(self) -> FloatArray:
        return self.observed.astype(np.float64)

    @cached_property
    def indicator_t(self) -> FloatArray:
        return np.ascontiguousarray(self.indicator.T)

    @cached_property
    def observed_t(self) -> FloatArray:
        return np.ascontiguousarray(self.observed_float.T)

    @property
    def n_persons(self) -> int:
        return int(self.categories.shape[0])

    @property
    def n_items(self) -> int:
        return int(self.categories.shape[1])

    def category_counts(self) -> IntArray:
        """(J, K_max) number of examinees observed in each category of each item."""
        k_max = int(self.n_categories.max(initial=2))
        counts = np.zeros((self.n_items, k_max), dtype=np.int64)
        for k in range(k_max):
            counts[:, k] = (self.categories == k).sum(axis=0)
        return counts


def prepare_responses(
    responses: ArrayLike,
    *,
    observed: ArrayLike | None = None,
    n_categories: ArrayLike | None = None,
) -> ResponseMatrix:
    """Validate and code a persons-by-items matrix of category scores (0/1 for dichotomous).

    ``n_categories`` defaults to one more than the highest category seen per item (at least 2),
    which is what calibration wants; scoring passes the item bank's counts instead so a category
    nobody reached still has its column.
    """
    raw = np.asarray(responses, dtype=np.float64)
    if raw.ndim != 2:
        raise IrtInputError("responses must be a 2-D array (examinees x items)")
    present = np.isfinite(raw) & (raw >= 0)
    if observed is not None:
        mask = np.asarray(observed, dtype=bool)
        if mask.shape != raw.shape:
            raise IrtInputError("observed mask must have the same shape as responses")
        present &= mask
    categories = np.where(present, raw, -1.0).astype(np.int64)
    if np.any((categories != raw) & present):
        raise IrtInputError("responses must be whole-number category scores")
    counts = _category_counts(categories, n_categories)
    if np.any(categories >= counts[None, :]):
        raise IrtInputError("a response exceeds its item's number of categories")
    return _code(categories, present, counts)


def _category_counts(categories: IntArray, n_categories: ArrayLike | None) -> IntArray:
    n_items = categories.shape[1]
    if n_categories is None:
        top = categories.max(axis=0, initial=-1) if categories.size else np.full(n_items, -1)
        return np.maximum(np.asarray(top, dtype=np.int64) + 1, 2)
    given = np.asarray(n_categories, dtype=np.int64)
    if given.ndim > 0 and given.shape != (n_items,):
        raise IrtInputError(f"responses have {n_items} items but {given.shape[0]} were described")
    counts = np.broadcast_to(given, (n_items,)).copy()
    if np.any(counts < 2):
        raise IrtInputError("every item needs at least two categories")
    return counts


def _code(categories: IntArray, present: BoolArray, counts: IntArray) -> ResponseMatrix:
    column_item = np.repeat(np.arange(counts.shape[0]), counts - 1)
    column_category = np.concatenate([np.arange(1, k) for k in counts] + [np.zeros(0)])
    column_category = column_category.astype(np.int64)
    if np.all(counts == 2):
        indicator = (categories == 1).astype(np.float64)
    else:
        indicator = (categories[:, column_item] == column_category[None, :]).astype(np.float64)
    return ResponseMatrix(
        categories=categories,
        observed=present,
        n_categories=counts,
        indicator=indicator,
        column_item=column_item,
        column_category=column_category,
        complete=bool(present.all()),
    )


def log_likelihood_table(
    data: ResponseMatrix, log_probs: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Per examinee and node log-likelihood, (N, Q), from category log-probabilities (J, K, Q).

    Padded categories of ``log_probs`` may be ``-inf``; they are never selected by a column of
    ``indicator`` and only the baseline (category 0) enters the second product.
    """
    base = log_probs[:, 0, :]
    contrasts = log_probs[data.column_item, data.column_category, :] - base[data.column_item]
    table = data.indicator @ contrasts
    if data.complete:
        table += base.sum(axis=0)[None, :]
    else:
        table += data.observed_float @ base
    return np.asarray(table, dtype=np.float64)


def expected_counts(data: ResponseMatrix, posterior: NDArray[np.float64], k_max: int) -> FloatArray:
    """Expected examinees per (item, category, node), (J, K, Q), from the posterior (N, Q)."""
    n_q = posterior.shape[1]
    per_column = data.indicator_t @ posterior
    if data.complete:
        totals = np.broadcast_to(posterior.sum(axis=0), (data.n_items, n_q))
    else:
        totals = data.observed_t @ posterior
    counts = np.zeros((data.n_items, k_max, n_q))
    counts[data.column_item, data.column_category, :] = per_column
    counts[:, 0, :] = totals - counts[:, 1:, :].sum(axis=1)
    return np.maximum(counts, 0.0)
