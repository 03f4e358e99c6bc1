"""Classical item analysis: how hard each item is, whether it separates stronger from weaker
examinees, and whether its distractors attract the examinees they should.

Conventions the report relies on:

* ``scored`` is examinees x items, 1 = correct, 0 = incorrect or omitted, NaN = not presented
  (forms, adaptive delivery). Statistics for an item use only the examinees it was shown to.
* The total score is the number correct over the items each examinee was presented. With
  unequal forms these totals are not on one scale, so analyze each form separately when the
  forms differ in length or difficulty.
* Discrimination is the *corrected* point-biserial: the item against the rest score (total
  minus the item), so an item does not correlate with itself. Option point-biserials use the
  same rest score, which makes the key's option point-biserial equal the item's.
* Upper and lower groups are the top and bottom ``group_fraction`` (Kelley's 27 %) of all
  examinees by total score, exactly ``round(fraction · N)`` each; ties at the boundary are
  broken by row order so the groups always have the intended size and never overlap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.psychometrics_common import (
    BoolArray,
    Flag,
    FloatArray,
    PsychometricsInputError,
    as_float_array,
    checked_labels,
    checked_probability,
    correlation_or_reason,
    describe_positions,
    group_mean,
    scored_matrix,
)
from extender.assessment.psychometrics_distractors import (
    ChoiceData,
    ChoiceMatrix,
    OptionStatistics,
    checked_choices,
    option_statistics,
)

__all__ = ["ItemAnalysis", "ItemStatistics", "OptionStatistics", "analyze_items"]


@dataclass(frozen=True)
class ItemStatistics:
    """Everything the exam report says about one item; ``flags`` lists why to review it."""

    index: int
    item_id: str
    n_presented: int
    p_value: float
    point_biserial: float | None
    point_biserial_note: str | None
    upper_p: float | None
    lower_p: float | None
    discrimination_index: float | None
    omit_rate: float | None
    mean_time: float | None
    median_time: float | None
    options: tuple[OptionStatistics, ...]
    flags: tuple[Flag, ...]

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True)
class ItemAnalysis:
    """Per-item results plus the settings they were judged against, so a report can print
    the thresholds next to the flags they produced."""

    items: tuple[ItemStatistics, ...]
    group_size: int
    min_p: float
    max_p: float
    min_point_biserial: float

    @property
    def flagged(self) -> tuple[ItemStatistics, ...]:
        return tuple(item for item in self.items if item.flags)


@dataclass(frozen=True)
class _Responses:
    scored: FloatArray
    presented: BoolArray
    totals: FloatArray
    upper: BoolArray
    lower: BoolArray


def analyze_items(
    scored: ArrayLike,
    *,
    choices: ChoiceMatrix | None = None,
    key: Sequence[str] | None = None,
    options: Sequence[Sequence[str]] | None = None,
    times: ArrayLike | None = None,
    item_ids: Sequence[str] | None = None,
    min_p: float = 0.30,
    max_p: float = 0.95,
    min_point_biserial: float = 0.15,
    group_fraction: float = 0.27,
) -> ItemAnalysis:
    """Item statistics and review flags for one administration.

    Shapes: ``scored``, ``choices`` and ``times`` are (N examinees, J items); ``key``,
    ``options`` and ``item_ids`` have J entries. ``choices`` holds option labels (compared as
    strings; ``None``, ``""`` or NaN = no option chosen) and needs ``key``. ``options`` lists
    every option offered per item; without it only options somebody chose (plus the key) are
    known, so a distractor nobody chose cannot be flagged. ``times`` are seconds, NaN = not
    recorded. ``scored`` must agree with ``choices`` and ``key`` wherever both exist, because a
    disagreement means the scoring or the key is wrong and every statistic would be too.
    """
    x = scored_matrix(scored)
    min_p = checked_probability(min_p, "min_p")
    max_p = checked_probability(max_p, "max_p")
    if min_p >= max_p:
        raise PsychometricsInputError("min_p must be below max_p", field="min_p")
    if not -1.0 <= float(min_point_biserial) <= 1.0:
        raise PsychometricsInputError(
            "min_point_biserial must be in [-1, 1]", field="min_point_biserial"
        )
    fraction = checked_probability(group_fraction, "group_fraction", open_low=True)
    if fraction > 0.5:
        raise PsychometricsInputError("group_fraction must be at most 0.5", field="group_fraction")
    ids = checked_labels(item_ids, x.shape[1], "item_ids")
    responses = _responses(x, fraction)
    choice_data = checked_choices(choices, key, options, x)
    time_data = None if times is None else _checked_times(times, responses)
    limits = (min_p, max_p, float(min_point_biserial))
    items = tuple(
        _item_statistics(c, ids[c], responses, choice_data, time_data, limits)
        for c in range(x.shape[1])
    )
    return ItemAnalysis(items, int(responses.upper.sum()), *limits)


def _responses(x: FloatArray, fraction: float) -> _Responses:
    presented = ~np.isnan(x)
    totals = np.nansum(x, axis=1)
    upper, lower = extreme_groups(totals, fraction)
    return _Responses(x, presented, totals, upper, lower)


def extreme_groups(scores: FloatArray, fraction: float) -> tuple[BoolArray, BoolArray]:
    """Masks of the upper and lower groups: the ``fraction`` of candidates (rounded, at
    least one, at most half) with the highest and the lowest ``scores``, ties by order."""
    n = scores.shape[0]
    size = min(max(1, int(np.floor(fraction * n + 0.5))), n // 2)
    order = np.argsort(scores, kind="stable")
    lower = np.zeros(n, dtype=bool)
    upper = np.zeros(n, dtype=bool)
    lower[order[:size]] = True
    upper[order[n - size :]] = True
    return upper, lower


def _checked_times(times: ArrayLike, responses: _Responses) -> FloatArray:
    t = as_float_array(times, "times")
    if t.shape != responses.scored.shape:
        raise PsychometricsInputError(
            f"times has shape {t.shape} but scored has {responses.scored.shape}", field="times"
        )
    recorded = ~np.isnan(t)
    problems = {
        "times must be finite": recorded & ~np.isfinite(t),
        "times must not be negative": recorded & (t < 0),
        "times recorded for items not presented": recorded & ~responses.presented,
    }
    for message, mask in problems.items():
        if mask.any():
            raise PsychometricsInputError(f"{message}: {describe_positions(mask)}", field="times")
    return t


def _item_statistics(
    column: int,
    item_id: str,
    responses: _Responses,
    choice_data: ChoiceData | None,
    times: FloatArray | None,
    limits: tuple[float, float, float],
) -> ItemStatistics:
    rows = responses.presented[:, column]
    score = responses.scored[rows, column]
    rest = responses.totals[rows] - score
    p = float(score.mean())
    outcome = "correctly" if p == 1.0 else "incorrectly"
    pb, note = correlation_or_reason(
        score,
        rest,
        x_constant=f"every examinee presented the item answered it {outcome}",
        y_constant="every examinee presented the item has the same rest score",
    )
    upper, lower = responses.upper[rows], responses.lower[rows]
    upper_p, lower_p = group_mean(score, upper), group_mean(score, lower)
    gap = None if upper_p is None or lower_p is None else upper_p - lower_p
    option_stats: tuple[OptionStatistics, ...] = ()
    omit_rate = None
    if choice_data is not None:
        chosen = choice_data.labels[rows, column]
        omit_rate = float(np.mean(chosen == ""))
        option_stats = tuple(
            option_statistics(option, option == choice_data.key[column], chosen, rest, upper, lower)
            for option in choice_data.options[column]
        )
    mean_time, median_time = _time_summary(None if times is None else times[rows, column])
    flags = _item_flags(p, pb, note, limits) + tuple(f for o in option_stats for f in o.flags)
    return ItemStatistics(
        index=column,
        item_id=item_id,
        n_presented=int(rows.sum()),
        p_value=p,
        point_biserial=pb,
        point_biserial_note=note,
        upper_p=upper_p,
        lower_p=lower_p,
        discrimination_index=gap,
        omit_rate=omit_rate,
        mean_time=mean_time,
        median_time=median_time,
        options=option_stats,
        flags=flags,
    )


def _time_summary(seconds: FloatArray | None) -> tuple[float | None, float | None]:
    if seconds is None:
        return None, None
    recorded = seconds[~np.isnan(seconds)]
    if recorded.size == 0:
        return None, None
    return float(recorded.mean()), float(np.median(recorded))


def _item_flags(
    p: float, pb: float | None, note: str | None, limits: tuple[float, float, float]
) -> tuple[Flag, ...]:
    min_p, max_p, min_pb = limits
    flags: list[Flag] = []
    if p < min_p:
        flags.append(
            Flag("too_hard", f"p = {p:.2f} is below {min_p:.2f}: check the key and the wording")
        )
    if p > max_p:
        flags.append(
            Flag("too_easy", f"p = {p:.2f} is above {max_p:.2f}: it barely separates examinees")
        )
    if pb is None:
        flags.append(Flag("discrimination_undefined", f"no point-biserial: {note}"))
    elif pb < min_pb:
        flags.append(
            Flag(
                "low_discrimination",
                f"corrected point-biserial {pb:.2f} is below {min_pb:.2f}: the item does not "
                "rank examinees the way the rest of the test does",
            )
        )
    return tuple(flags)
