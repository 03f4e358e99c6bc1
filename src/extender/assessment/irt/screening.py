"""What calibration checks before estimating: anchors that make sense, and items the data
can actually identify.

An item nobody answered, or that everyone answered the same way, has a likelihood that keeps
rising as its difficulty runs to infinity; a graded item with an unused category has a
threshold that is not identified. Estimating them would either crash or return nonsense that
looks like a number, so they are set aside here with a reason a person can act on. Anchors
are never set aside: their parameters are known, and their responses still inform theta.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from extender.assessment.irt.models import GradedItems, IntArray, IrtInputError
from extender.assessment.irt.responses import ResponseMatrix, prepare_responses

__all__ = ["dichotomous_anchors", "graded_anchors", "restrict", "screen"]


def dichotomous_anchors(
    anchors: Mapping[int, Sequence[float]] | None, n_items: int
) -> dict[int, tuple[float, float, float]]:
    fixed: dict[int, tuple[float, float, float]] = {}
    for column, values in (anchors or {}).items():
        _check_column(column, n_items)
        if len(values) not in (2, 3):
            raise IrtInputError(f"anchor {column} needs (a, b) or (a, b, c)")
        a_j, b_j = float(values[0]), float(values[1])
        c_j = float(values[2]) if len(values) == 3 else 0.0
        if not (a_j > 0 and np.isfinite(b_j) and 0 <= c_j < 1):
            raise IrtInputError(f"anchor {column} has invalid parameters {tuple(values)}")
        fixed[int(column)] = (a_j, b_j, c_j)
    return fixed


def graded_anchors(
    anchors: Mapping[int, tuple[float, Sequence[float]]] | None, data: ResponseMatrix
) -> dict[int, tuple[float, list[float]]]:
    fixed: dict[int, tuple[float, list[float]]] = {}
    for column, (a_j, b_j) in (anchors or {}).items():
        _check_column(column, data.n_items)
        thresholds = [float(v) for v in b_j]
        if len(thresholds) != int(data.n_categories[column]) - 1:
            raise IrtInputError(f"anchor {column} needs one threshold per category boundary")
        GradedItems([a_j], [thresholds])  # validates order and sign
        fixed[int(column)] = (float(a_j), thresholds)
    return fixed


def _check_column(column: int, n_items: int) -> None:
    if not 0 <= int(column) < n_items:
        raise IrtInputError(f"anchor column {column} is outside 0..{n_items - 1}")


def screen(data: ResponseMatrix, anchors: Iterable[int]) -> dict[int, str]:
    """Reasons to exclude free items whose parameters the data cannot identify."""
    anchored = set(anchors)
    counts = data.category_counts()
    reasons: dict[int, str] = {}
    for j in range(data.n_items):
        if j in anchored:
            continue
        k = int(data.n_categories[j])
        used = counts[j, :k] > 0
        if not used.any():
            reasons[j] = "nobody answered it"
        elif used.sum() == 1:
            only = int(np.flatnonzero(used)[0])
            label = {0: "incorrectly", 1: "correctly"}.get(only) if k == 2 else None
            reasons[j] = f"everyone answered it {label}" if label else f"every response is {only}"
        elif not used.all():
            missing = ", ".join(str(int(v)) for v in np.flatnonzero(~used))
            reasons[j] = f"category {missing} never used; collapse categories to calibrate it"
    return reasons


def restrict(
    data: ResponseMatrix, reasons: Mapping[int, str]
) -> tuple[ResponseMatrix, IntArray, IntArray]:
    """Drop excluded items, then examinees left with no responses; return kept rows and cols."""
    cols = np.array([j for j in range(data.n_items) if j not in reasons], dtype=np.int64)
    categories = data.categories[:, cols]
    rows = np.flatnonzero((categories >= 0).any(axis=1)).astype(np.int64)
    if cols.shape[0] == data.n_items and rows.shape[0] == data.n_persons:
        return data, rows, cols
    sub = prepare_responses(categories[rows], n_categories=data.n_categories[cols])
    return sub, rows, cols
