"""Item response models: what an item's parameters say about the chance of each response.

Scaling: every logistic here uses D = 1.0, i.e. ``P = c + (1 - c) / (1 + exp(-a (theta - b)))``.
Parameters taken from software or literature on the normal-ogive metric (D = 1.702) must have
their slopes multiplied by 1.702 before use; ``NORMAL_OGIVE_D`` is exported for that. We keep
D = 1 because it is what the likelihood actually contains, so slopes printed in reports and
slopes used in computation are one and the same number.

Two item families share one protocol, :class:`ItemSet`, so that scoring, fit, adaptive
selection and simulation are written once:

* :class:`ItemParameters` — dichotomous Rasch/1PL/2PL/3PL items (``c = 0`` and/or ``a = 1``
  give the smaller models);
* :class:`GradedItems` — Samejima's graded response model for ordered polytomous items.

Every function takes ``theta`` as a scalar or 1-D array and returns arrays whose first axis is
theta, second axis is item, so that ``(T, J)`` products broadcast without reshaping by callers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import expit

from extender.errors import InvalidInput

__all__ = [
    "NORMAL_OGIVE_D",
    "D",
    "GradedItems",
    "IrtInputError",
    "ItemParameters",
    "ItemSet",
    "grm_category_probabilities",
    "grm_item_information",
    "item_information",
    "probability",
    "test_information",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

D = 1.0
NORMAL_OGIVE_D = 1.702
PROBABILITY_FLOOR = 1e-10


class IrtInputError(InvalidInput, ValueError):
    """Parameters or responses the engine cannot use.

    A ``ValueError`` for library callers and an ``InvalidInput`` so the web layer and the CLI
    report it with its message.
    """


def as_theta(theta: ArrayLike) -> FloatArray:
    """Coerce abilities to a 1-D float array so every model returns ``(T, J)`` arrays."""
    values = np.atleast_1d(np.asarray(theta, dtype=np.float64))
    if values.ndim != 1:
        raise IrtInputError("theta must be a scalar or a 1-D array")
    return values


def probability(theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0) -> FloatArray:
    """P(correct) under the 3PL (2PL when ``c = 0``, Rasch when also ``a = 1``), shape (T, J)."""
    t = as_theta(theta)[:, None]
    a_, b_, c_ = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    return np.asarray(c_ + (1.0 - c_) * expit(D * a_ * (t - b_)), dtype=np.float64)


def item_information(
    theta: ArrayLike, a: ArrayLike, b: ArrayLike, c: ArrayLike = 0.0
) -> FloatArray:
    """Fisher information of each dichotomous item, shape (T, J).

    Birnbaum's closed form ``a^2 (Q/P) ((P - c)/(1 - c))^2``; for ``c = 0`` it reduces to
    ``a^2 P Q``, which is why the 2PL peaks exactly at ``theta = b``.
    """
    t = as_theta(theta)[:, None]
    a_, b_, c_ = (np.asarray(v, dtype=np.float64) for v in (a, b, c))
    logistic = expit(D * a_ * (t - b_))
    p = c_ + (1.0 - c_) * logistic
    share = np.divide(logistic, p, out=np.ones_like(p), where=p > 0)
    info = (D * a_) ** 2 * (1.0 - logistic) * logistic * (1.0 - c_) * share
    return np.asarray(info, dtype=np.float64)


def test_information(theta: ArrayLike, items: ItemSet) -> FloatArray:
    """Sum of item information at each theta, shape (T,); its inverse root is the ideal SE."""
    return np.asarray(items.information(theta).sum(axis=1), dtype=np.float64)


def grm_category_probabilities(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Category probabilities under the graded response model, shape (T, J, K).

    ``thresholds`` is (J, K-1), increasing along each row; an item with fewer categories pads
    its row with ``+inf``, whose boundary curve is identically 0, so padded categories get
    probability exactly 0 and never need special-casing downstream.
    """
    boundaries = _grm_boundaries(as_theta(theta), np.asarray(a, float), np.asarray(thresholds))
    return np.asarray(-np.diff(boundaries, axis=2), dtype=np.float64)


def grm_item_information(theta: ArrayLike, a: ArrayLike, thresholds: ArrayLike) -> FloatArray:
    """Fisher information of each graded item, ``sum_k (dP_k/dtheta)^2 / P_k``, shape (T, J)."""
    t = as_theta(theta)
    a_ = np.asarray(a, dtype=np.float64)
    boundaries = _grm_boundaries(t, a_, np.asarray(thresholds))
    probs = -np.diff(boundaries, axis=2)
    slopes = -np.diff(D * a_[None, :, None] * boundaries * (1.0 - boundaries), axis=2)
    safe = np.maximum(probs, PROBABILITY_FLOOR)
    return np.asarray(np.where(probs > 0, slopes**2 / safe, 0.0).sum(axis=2), dtype=np.float64)


def _grm_boundaries(
    theta: FloatArray, a: FloatArray, thresholds: NDArray[np.float64]
) -> FloatArray:
    """Boundary curves P(X >= k) with the constant 1 (k = 0) and 0 (k = K) columns attached."""
    t = theta[:, None, None]
    finite = np.isfinite(thresholds)[None, :, :]
    located = np.where(finite, thresholds[None, :, :], 0.0)
    inner = np.where(finite, expit(D * a[None, :, None] * (t - located)), 0.0)
    n_t, n_j = theta.shape[0], a.shape[0]
    ones = np.ones((n_t, n_j, 1))
    zeros = np.zeros((n_t, n_j, 1))
    return np.concatenate([ones, inner, zeros], axis=2)


class ItemSet(Protocol):
    """What every item family offers, so scoring and selection need not know the model."""

    @property
    def n_items(self) -> int: ...

    @property
    def n_categories(self) -> IntArray: ...

    def category_probabilities(self, theta: ArrayLike) -> FloatArray:
        """Shape (T, J, K): probability of each response category; padded categories are 0."""
        ...

    def category_slopes(self, theta: ArrayLike) -> FloatArray:
        """Shape (T, J, K): d P(category) / d theta, used by Newton scoring of abilities."""
        ...

    def information(self, theta: ArrayLike) -> FloatArray:
        """Shape (T, J): Fisher information of each item."""
        ...

    def expected_score(self, theta: ArrayLike) -> FloatArray:
        """Shape (T, J): expected item score (category index), whose row sum is the TCC."""
        ...

    def subset(self, indices: Sequence[int] | IntArray) -> Self: ...


def _float_vector(name: str, values: ArrayLike, length: int | None = None) -> FloatArray:
    array = np.array(values, dtype=np.float64, copy=True).reshape(-1)
    if length is not None and array.shape[0] != length:
        raise IrtInputError(f"{name} has {array.shape[0]} entries, expected {length}")
    if not np.all(np.isfinite(array)):
        raise IrtInputError(f"{name} must be finite")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, init=False)
class ItemParameters:
    """Dichotomous items on the logistic (D = 1) metric: slope a, location b, guessing c.

    Arrays are copied and frozen at construction, so an item bank handed to a selector cannot be
    changed behind its precomputed tables.
    """

    a: FloatArray
    b: FloatArray
    c: FloatArray

    def __init__(self, a: ArrayLike, b: ArrayLike, c: ArrayLike | None = None) -> None:
        b_ = _float_vector("b", b)
        n = b_.shape[0]
        a_ = _float_vector("a", np.broadcast_to(np.asarray(a, dtype=np.float64), (n,)), n)
        c_raw = np.zeros(n) if c is None else np.broadcast_to(np.asarray(c, float), (n,))
        c_ = _float_vector("c", c_raw, n)
        if np.any((c_ < 0.0) | (c_ >= 1.0)):
            raise IrtInputError("guessing parameters c must lie in [0, 1)")
        object.__setattr__(self, "a", a_)
        object.__setattr__(self, "b", b_)
        object.__setattr__(self, "c", c_)

    @property
    def n_items(self) -> int:
        return int(self.b.shape[0])

    @property
    def n_categories(self) -> IntArray:
        return np.full(self.n_items, 2, dtype=np.int64)

    def probability(self, theta: ArrayLike) -> FloatArray:
        return probability(theta, self.a, self.b, self.c)

    def category_probabilities(self, theta: ArrayLike) -> FloatArray:
        p = self.probability(theta)
        return np.stack([1.0 - p, p], axis=2)

    def category_slopes(self, theta: ArrayLike) -> FloatArray:
        logistic = expit(D * self.a * (as_theta(theta)[:, None] - self.b))
        slope = D * self.a * (1.0 - self.c) * logistic * (1.0 - logistic)
        return np.stack([-slope, slope], axis=2)

    def information(self, theta: ArrayLike) -> FloatArray:
        return item_information(theta, self.a, self.b, self.c)

    def expected_score(self, theta: ArrayLike) -> FloatArray:
        return self.probability(theta)

    def subset(self, indices: Sequence[int] | IntArray) -> Self:
        idx = np.asarray(indices, dtype=np.int64)
        return type(self)(self.a[idx], self.b[idx], self.c[idx])


@dataclass(frozen=True, init=False)
class GradedItems:
    """Samejima graded-response items: slope ``a`` and increasing category thresholds.

    ``thresholds`` is (J, K_max - 1); an item with fewer than ``K_max`` categories is padded
    with ``+inf`` (see :func:`grm_category_probabilities`). ``n_categories`` is derived from the
    finite thresholds, so it can never disagree with them.
    """

    a: FloatArray
    thresholds: FloatArray

    def __init__(self, a: ArrayLike, thresholds: ArrayLike) -> None:
        b = np.array(thresholds, dtype=np.float64, copy=True)
        if b.ndim != 2 or b.shape[1] < 1:
            raise IrtInputError("thresholds must be a 2-D array (items x categories-1)")
        a_ = _float_vector("a", np.broadcast_to(np.asarray(a, float), (b.shape[0],)), b.shape[0])
        if np.any(np.isnan(b)) or np.any(b == -np.inf):
            raise IrtInputError("thresholds must be finite, padded on the right with +inf")
        finite = np.isfinite(b)
        if np.any(finite[:, 1:] & ~finite[:, :-1]) or not np.all(finite[:, 0]):
            raise IrtInputError("each item needs a first threshold; +inf padding goes last")
        gaps = np.diff(np.where(finite, b, 0.0), axis=1)
        if np.any((gaps <= 0) & finite[:, 1:]):
            raise IrtInputError("thresholds must increase within each item")
        if np.any(a_ < 0):
            raise IrtInputError("graded-response slopes must not be negative")
        b.setflags(write=False)
        object.__setattr__(self, "a", a_)
        object.__setattr__(self, "thresholds", b)

    @property
    def n_items(self) -> int:
        return int(self.a.shape[0])

    @property
    def n_categories(self) -> IntArray:
        return np.asarray(np.isfinite(self.thresholds).sum(axis=1) + 1, dtype=np.int64)

    def category_probabilities(self, theta: ArrayLike) -> FloatArray:
        return grm_category_probabilities(theta, self.a, self.thresholds)

    def category_slopes(self, theta: ArrayLike) -> FloatArray:
        boundaries = _grm_boundaries(as_theta(theta), self.a, self.thresholds)
        weights = D * self.a[None, :, None] * boundaries * (1.0 - boundaries)
        return np.asarray(-np.diff(weights, axis=2), dtype=np.float64)

    def information(self, theta: ArrayLike) -> FloatArray:
        return grm_item_information(theta, self.a, self.thresholds)

    def expected_score(self, theta: ArrayLike) -> FloatArray:
        probs = self.category_probabilities(theta)
        return np.asarray(probs @ np.arange(probs.shape[2], dtype=np.float64), dtype=np.float64)

    def subset(self, indices: Sequence[int] | IntArray) -> Self:
        idx = np.asarray(indices, dtype=np.int64)
        sub = self.thresholds[idx]
        keep = max(int(np.isfinite(sub).sum(axis=1).max(initial=1)), 1)
        return type(self)(self.a[idx], sub[:, :keep])
