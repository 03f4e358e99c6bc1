"""When an adaptive test ends: maximum length, a precision target, or an SPRT classification.

The SPRT (Wald's sequential probability ratio test, as adapted for mastery testing by Reckase
and Eggen) compares the likelihood of the responses at the two edges of an indifference region
around the cut, ``cut - half_width`` and ``cut + half_width``. Once their log ratio leaves
``(log(beta / (1 - alpha)), log((1 - beta) / alpha))`` the pass/fail decision is made with
error rates about alpha and beta for examinees outside the region, usually well before a
precision target would be met, which is what a licensure-style exam cares about.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from extender.assessment.irt.models import PROBABILITY_FLOOR, FloatArray, IrtInputError, ItemSet

__all__ = ["SPRT", "StopReason", "StoppingRule", "sprt_log_likelihood_ratio"]

StopReason = Literal["max_length", "se_target", "classified_pass", "classified_fail", "exhausted"]


@dataclass(frozen=True)
class SPRT:
    """Pass/fail test around ``cut`` (theta) with indifference region +/- ``half_width``."""

    cut: float
    half_width: float = 0.2
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        if self.half_width <= 0:
            raise IrtInputError("the SPRT indifference region needs a positive half-width")
        if not (0 < self.alpha < 0.5 and 0 < self.beta < 0.5):
            raise IrtInputError("SPRT error rates must lie in (0, 0.5)")

    @property
    def lower(self) -> float:
        return math.log(self.beta / (1.0 - self.alpha))

    @property
    def upper(self) -> float:
        return math.log((1.0 - self.beta) / self.alpha)

    def decide(self, log_ratio: float) -> Literal["pass", "fail"] | None:
        if log_ratio >= self.upper:
            return "pass"
        if log_ratio <= self.lower:
            return "fail"
        return None

    def ratio_table(self, items: ItemSet) -> FloatArray:
        """(J, K) log P(k | cut + h) - log P(k | cut - h): add one entry per response."""
        thetas = np.array([self.cut - self.half_width, self.cut + self.half_width])
        log_p = np.log(np.maximum(items.category_probabilities(thetas), PROBABILITY_FLOOR))
        return np.asarray(log_p[1] - log_p[0], dtype=np.float64)


def sprt_log_likelihood_ratio(
    items: ItemSet, administered: Sequence[int], responses: Sequence[int], sprt: SPRT
) -> float:
    """The SPRT statistic for a finished or partial response record."""
    if not administered:
        return 0.0
    table = sprt.ratio_table(items.subset(list(administered)))
    picked = table[np.arange(len(administered)), np.asarray(responses, dtype=np.int64)]
    return float(picked.sum())


@dataclass(frozen=True)
class StoppingRule:
    """Stop at ``max_items``; after ``min_items``, also on SE <= ``se_target`` or an SPRT call."""

    max_items: int = 30
    min_items: int = 1
    se_target: float | None = None
    sprt: SPRT | None = None

    def __post_init__(self) -> None:
        if self.max_items < 1 or not 0 <= self.min_items <= self.max_items:
            raise IrtInputError("need 0 <= min_items <= max_items and max_items >= 1")

    def reason(self, length: int, se: float, log_ratio: float = 0.0) -> StopReason | None:
        """Why the test should stop now, or None to continue."""
        if length >= self.max_items:
            return "max_length"
        if length < self.min_items:
            return None
        if self.sprt is not None:
            decision = self.sprt.decide(log_ratio)
            if decision is not None:
                return "classified_pass" if decision == "pass" else "classified_fail"
        if self.se_target is not None and se <= self.se_target:
            return "se_target"
        return None
