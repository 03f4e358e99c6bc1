"""Input checks and small helpers shared by the classical test theory modules.

Every public statistic in :mod:`extender.assessment.psychometrics` goes through these checks
first, so a malformed matrix fails once, loudly, with a message naming the row or column to
fix, instead of surfacing later as a NaN in an exam report.

Messages use 0-based ``row`` (examinee) and ``column`` (item) indices, the positions in the
arrays the caller passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from extender.errors import InvalidInput

__all__ = [
    "BoolArray",
    "Flag",
    "FloatArray",
    "IntArray",
    "PsychometricsInputError",
    "as_float_array",
    "checked_labels",
    "checked_probability",
    "checked_total_scores",
    "correlation_or_reason",
    "describe_indices",
    "describe_positions",
    "group_mean",
    "scored_matrix",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


class PsychometricsInputError(InvalidInput, ValueError):
    """Responses, ratings or parameters a statistic cannot be computed from.

    A ``ValueError`` for library callers and an ``InvalidInput`` so the web layer and the CLI
    report it with its message.
    """


@dataclass(frozen=True)
class Flag:
    """A reason for a reviewer to look at an item or option: a stable ``code`` for filters and
    a sentence (``reason``) with the numbers that triggered it, for the report."""

    code: str
    reason: str


def describe_positions(mask: BoolArray, limit: int = 5) -> str:
    found = np.argwhere(mask)[:limit]
    text = ", ".join(f"row {r}, column {c}" for r, c in found)
    more = int(mask.sum()) - len(found)
    return text + (f" and {more} more" if more > 0 else "")


def describe_indices(mask: BoolArray, limit: int = 10) -> str:
    found = np.flatnonzero(mask)
    text = ", ".join(str(i) for i in found[:limit])
    return text + (f" and {len(found) - limit} more" if len(found) > limit else "")


def as_float_array(values: ArrayLike, name: str) -> FloatArray:
    """Coerce to float, turning numpy's own errors into a message that names the argument."""
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PsychometricsInputError(f"{name} must be numeric ({exc})", field=name) from exc


def scored_matrix(
    scored: ArrayLike,
    *,
    name: str = "scored",
    allow_missing: bool = True,
    dichotomous: bool = True,
    min_examinees: int = 2,
    min_items: int = 1,
) -> FloatArray:
    """Check an examinees x items score matrix and return it as floats (NaN = not presented).

    A column nobody saw and a row that saw nothing are rejected rather than skipped: either
    one means the matrix was assembled wrongly (wrong form, wrong join), and silently
    dropping them would hide that from the psychometrician.
    """
    x = as_float_array(scored, name)
    if x.ndim != 2:
        raise PsychometricsInputError(
            f"{name} must be a 2-D examinees x items matrix, got shape {x.shape}", field=name
        )
    n, j = x.shape
    if n < min_examinees:
        raise PsychometricsInputError(
            f"{name} needs at least {min_examinees} examinees (rows), got {n}", field=name
        )
    if j < min_items:
        raise PsychometricsInputError(
            f"{name} needs at least {min_items} items (columns), got {j}", field=name
        )
    if np.isinf(x).any():
        raise PsychometricsInputError(
            f"{name} has infinite values at {describe_positions(np.isinf(x))}", field=name
        )
    missing = np.isnan(x)
    if missing.any() and not allow_missing:
        raise PsychometricsInputError(
            f"{name} has missing responses (NaN) at {describe_positions(missing)}; this statistic "
            "needs every item answered by every examinee, so analyze each form on its own",
            field=name,
        )
    if dichotomous:
        bad = ~missing & (x != 0.0) & (x != 1.0)
        if bad.any():
            raise PsychometricsInputError(
                f"{name} must hold 0 or 1 (or NaN for not presented); found other values at "
                f"{describe_positions(bad)}",
                field=name,
            )
    unseen_items: BoolArray = np.asarray(missing.all(axis=0))
    if unseen_items.any():
        raise PsychometricsInputError(
            f"{name} has items presented to nobody: column(s) {describe_indices(unseen_items)}",
            field=name,
        )
    empty_rows: BoolArray = np.asarray(missing.all(axis=1))
    if empty_rows.any():
        raise PsychometricsInputError(
            f"{name} has examinees presented no items: row(s) {describe_indices(empty_rows)}",
            field=name,
        )
    return x


def checked_total_scores(
    total_scores: ArrayLike, n_items: int, *, min_examinees: int = 1
) -> IntArray:
    """Number-correct scores for the binomial models, which are only defined on 0..n."""
    if isinstance(n_items, bool) or not isinstance(n_items, int | np.integer) or n_items < 1:
        raise PsychometricsInputError(
            f"n_items must be a positive integer, got {n_items!r}", field="n_items"
        )
    scores = as_float_array(total_scores, "total_scores")
    if scores.ndim != 1:
        raise PsychometricsInputError(
            f"total_scores must be 1-D (one per examinee), got shape {scores.shape}",
            field="total_scores",
        )
    if scores.size < min_examinees:
        raise PsychometricsInputError(
            f"total_scores needs at least {min_examinees} examinees, got {scores.size}",
            field="total_scores",
        )
    bad = ~np.isfinite(scores) | (scores != np.round(scores)) | (scores < 0) | (scores > n_items)
    if bad.any():
        raise PsychometricsInputError(
            f"total_scores must be whole numbers from 0 to {n_items}; bad entries at "
            f"position(s) {describe_indices(bad)}",
            field="total_scores",
        )
    return scores.astype(np.int64)


def group_mean(values: FloatArray, members: BoolArray) -> float | None:
    """Mean over a group's members, or ``None`` when the group has nobody (not NaN)."""
    return float(values[members].mean()) if members.any() else None


def correlation_or_reason(
    x: FloatArray, y: FloatArray, *, x_constant: str, y_constant: str
) -> tuple[float | None, str | None]:
    """Pearson correlation, or ``None`` with the reason it does not exist.

    A report must say *why* a point-biserial is missing (everyone got the item right, nobody
    chose the option...), so the caller supplies the sentence for each degenerate case.
    Exact range checks (not ``std == 0``) are used because the inputs are counts, for which
    a constant vector is exactly constant.
    """
    if x.size < 2:
        return None, "fewer than 2 examinees were presented the item"
    if np.ptp(x) == 0:
        return None, x_constant
    if np.ptp(y) == 0:
        return None, y_constant
    dx = x - x.mean()
    dy = y - y.mean()
    r = float(np.dot(dx, dy) / np.sqrt(np.dot(dx, dx) * np.dot(dy, dy)))
    return min(1.0, max(-1.0, r)), None


def checked_probability(value: float, name: str, *, open_low: bool = False) -> float:
    """A threshold or level that must lie in [0, 1] (or (0, 1])."""
    v = float(value)
    low_ok = v > 0.0 if open_low else v >= 0.0
    if not (np.isfinite(v) and low_ok and v <= 1.0):
        interval = "(0, 1]" if open_low else "[0, 1]"
        raise PsychometricsInputError(f"{name} must be in {interval}, got {value!r}", field=name)
    return v


def checked_labels(
    labels: Sequence[str] | None, count: int, name: str, *, unique: bool = True
) -> tuple[str, ...]:
    """Item labels (or a key), defaulting to positions so every result row is named."""
    if labels is None:
        return tuple(str(i) for i in range(count))
    out = tuple(str(label) for label in labels)
    if len(out) != count:
        raise PsychometricsInputError(
            f"{name} has {len(out)} entries but there are {count}", field=name
        )
    if unique and len(set(out)) != len(out):
        raise PsychometricsInputError(f"{name} contains duplicates", field=name)
    return out
