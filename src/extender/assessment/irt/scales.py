"""Reporting scales and cut scores: theta <-> scaled score <-> expected raw score.

Candidates and committees never see theta. A linear scale (default ``300 + 50 theta``, clipped
to 100..500 and rounded to whole points) is what gets printed, and a cut score is set once, in
whichever unit the standard-setting panel worked in, then carried to the other two here, so the
three can never drift apart. Raw scores are linked through the test characteristic curve
(expected number-correct on a given form), which is how a theta cut becomes "at least 34 of 50"
on a particular fixed form.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import FloatArray, IrtInputError, ItemSet, as_theta

__all__ = [
    "CutScore",
    "ScoreScale",
    "convert_cut_score",
    "expected_raw_score",
    "theta_for_raw_score",
]

ScoreUnit = Literal["raw", "theta", "scale"]


@dataclass(frozen=True)
class ScoreScale:
    """``scale = intercept + slope * theta``, clipped to [minimum, maximum], rounded to decimals."""

    slope: float = 50.0
    intercept: float = 300.0
    minimum: float = 100.0
    maximum: float = 500.0
    decimals: int = 0

    def __post_init__(self) -> None:
        if self.slope <= 0:
            raise IrtInputError("the scale slope must be positive so higher theta scores higher")
        if self.minimum >= self.maximum:
            raise IrtInputError("the scale minimum must be below its maximum")

    def to_scale(self, theta: ArrayLike) -> FloatArray:
        raw = self.intercept + self.slope * as_theta(theta)
        return np.asarray(np.round(np.clip(raw, self.minimum, self.maximum), self.decimals))

    def to_theta(self, scaled: ArrayLike) -> FloatArray:
        return (as_theta(scaled) - self.intercept) / self.slope


@dataclass(frozen=True)
class CutScore:
    """One cut expressed in all three units; ``raw`` is an expected (fractional) raw score."""

    theta: float
    scale: float
    raw: float


def expected_raw_score(theta: ArrayLike, items: ItemSet) -> FloatArray:
    """The test characteristic curve: expected summed score at each theta, shape (T,)."""
    return np.asarray(items.expected_score(theta).sum(axis=1), dtype=np.float64)


def theta_for_raw_score(
    raw: ArrayLike, items: ItemSet, bounds: tuple[float, float] = (-6.0, 6.0)
) -> FloatArray:
    """Invert the TCC by bisection (it is increasing when all slopes are positive).

    Raw scores below the curve's floor (e.g. under the sum of 3PL guessing parameters) map to
    the lower bound, and scores at or above its ceiling to the upper bound.
    """
    target = np.atleast_1d(np.asarray(raw, dtype=np.float64))
    low = np.full(target.shape, bounds[0])
    high = np.full(target.shape, bounds[1])
    for _ in range(60):
        middle = 0.5 * (low + high)
        above = expected_raw_score(middle, items) >= target
        high = np.where(above, middle, high)
        low = np.where(above, low, middle)
    return np.asarray(0.5 * (low + high), dtype=np.float64)


def convert_cut_score(
    value: float, unit: ScoreUnit, items: ItemSet, scale: ScoreScale | None = None
) -> CutScore:
    """Express a cut set in ``unit`` on the other two (scale conversion is unclipped).

    The scaled value is reported unrounded and unclipped: rounding a cut would silently move
    it, which is a policy decision that belongs to the exam committee.
    """
    chosen = scale or ScoreScale()
    if unit == "theta":
        theta = float(value)
    elif unit == "scale":
        theta = float(chosen.to_theta(value)[0])
    elif unit == "raw":
        theta = float(theta_for_raw_score(value, items)[0])
    else:
        raise IrtInputError(f"unknown score unit {unit!r}; use raw, theta or scale")
    return CutScore(
        theta=theta,
        scale=float(chosen.intercept + chosen.slope * theta),
        raw=float(expected_raw_score(theta, items)[0]),
    )
