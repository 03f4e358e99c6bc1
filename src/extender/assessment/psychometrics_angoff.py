"""Modified Angoff standard setting: turning panelists' judgements into a raw cut score.

Each panelist rates every item with the probability that a minimally competent candidate
answers it correctly. A panelist's cut is the sum of their ratings (the expected raw score of
that borderline candidate); the recommended cut is the mean of the panelists' cuts.

Spread is reported with the sample SD (divide by P - 1): the panel is a sample of the
qualified judges who could have sat, and the standard error of the cut, ``SD / sqrt(P)``, is
how far another panel's cut might plausibly land, which is what the committee weighs when it
adjusts the cut. Items whose ratings spread more than ``disagreement_sd`` are listed for
discussion before a second round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.psychometrics_common import (
    FloatArray,
    PsychometricsInputError,
    as_float_array,
    checked_labels,
    describe_positions,
)

__all__ = ["AngoffRound", "AngoffStudy", "angoff_study", "modified_angoff"]


@dataclass(frozen=True)
class AngoffRound:
    """One round of ratings summarized.

    ``passing_score`` is the smallest whole raw score at or above ``cut_score``;
    ``high_disagreement`` lists the ids of items whose rating SD exceeds ``disagreement_sd``.
    """

    n_panelists: int
    n_items: int
    cut_score: float
    cut_proportion: float
    passing_score: int
    panelist_cuts: tuple[float, ...]
    sd: float
    standard_error: float
    item_ids: tuple[str, ...]
    item_means: tuple[float, ...]
    item_sds: tuple[float, ...]
    high_disagreement: tuple[str, ...]
    disagreement_sd: float


@dataclass(frozen=True)
class AngoffStudy:
    """One or two rounds; the last round's cut is the recommendation, and ``cut_change``
    shows how much discussion moved the panel (``None`` with a single round)."""

    rounds: tuple[AngoffRound, ...]

    @property
    def final(self) -> AngoffRound:
        return self.rounds[-1]

    @property
    def recommended_cut(self) -> float:
        return self.final.cut_score

    @property
    def cut_change(self) -> float | None:
        if len(self.rounds) < 2:
            return None
        return self.rounds[-1].cut_score - self.rounds[0].cut_score


def _checked_ratings(ratings: ArrayLike, name: str) -> FloatArray:
    r = as_float_array(ratings, name)
    if r.ndim != 2:
        raise PsychometricsInputError(
            f"{name} must be a 2-D panelists x items matrix, got shape {r.shape}", field=name
        )
    if r.shape[0] < 2:
        raise PsychometricsInputError(
            f"{name} needs at least 2 panelists to estimate the cut's standard error, "
            f"got {r.shape[0]}",
            field=name,
        )
    if r.shape[1] < 1:
        raise PsychometricsInputError(f"{name} needs at least 1 item", field=name)
    bad = ~np.isfinite(r) | (r < 0.0) | (r > 1.0)
    if bad.any():
        raise PsychometricsInputError(
            f"{name} must be probabilities in [0, 1] with no gaps; bad ratings at "
            f"{describe_positions(bad)} (row = panelist, column = item)",
            field=name,
        )
    return r


def _checked_threshold(disagreement_sd: float) -> float:
    value = float(disagreement_sd)
    if not (math.isfinite(value) and value > 0.0):
        raise PsychometricsInputError(
            f"disagreement_sd must be a positive number, got {disagreement_sd!r}",
            field="disagreement_sd",
        )
    return value


def modified_angoff(
    ratings: ArrayLike,
    *,
    disagreement_sd: float = 0.15,
    item_ids: Sequence[str] | None = None,
) -> AngoffRound:
    """Summarize one round of (P panelists, J items) ratings in [0, 1], P >= 2."""
    r = _checked_ratings(ratings, "ratings")
    threshold = _checked_threshold(disagreement_sd)
    ids = checked_labels(item_ids, r.shape[1], "item_ids")
    cuts = r.sum(axis=1)
    cut = float(cuts.mean())
    sd = float(cuts.std(ddof=1))
    item_sds = r.std(axis=0, ddof=1)
    return AngoffRound(
        n_panelists=r.shape[0],
        n_items=r.shape[1],
        cut_score=cut,
        cut_proportion=cut / r.shape[1],
        passing_score=math.ceil(round(cut, 9)),
        panelist_cuts=tuple(float(c) for c in cuts),
        sd=sd,
        standard_error=sd / math.sqrt(r.shape[0]),
        item_ids=ids,
        item_means=tuple(float(m) for m in r.mean(axis=0)),
        item_sds=tuple(float(s) for s in item_sds),
        high_disagreement=tuple(ids[j] for j in np.flatnonzero(item_sds > threshold)),
        disagreement_sd=threshold,
    )


def angoff_study(
    first_round: ArrayLike,
    second_round: ArrayLike | None = None,
    *,
    disagreement_sd: float = 0.15,
    item_ids: Sequence[str] | None = None,
) -> AngoffStudy:
    """A one- or two-round Angoff study. The second round must rate the same items with the
    same panel, row for row, or the change in cut would mix judges and items."""
    first = modified_angoff(first_round, disagreement_sd=disagreement_sd, item_ids=item_ids)
    if second_round is None:
        return AngoffStudy((first,))
    second = modified_angoff(second_round, disagreement_sd=disagreement_sd, item_ids=item_ids)
    shapes = [(r.n_panelists, r.n_items) for r in (first, second)]
    if shapes[0] != shapes[1]:
        raise PsychometricsInputError(
            f"second_round has shape {shapes[1]} but the first round was {shapes[0]}; "
            "rate the same items with the same panel",
            field="second_round",
        )
    return AngoffStudy((first, second))
