"""Distractor analysis: whether each wrong option attracts the examinees it should.

A working distractor is chosen by some examinees, mostly weaker ones, so its point-biserial
against the rest score is negative. One nobody chooses only makes the item easier to guess;
one that stronger examinees prefer usually means a second defensible answer or a miskey.

Choices are option labels compared as strings; ``None``, ``""`` and NaN mean no option was
chosen (an omit when the item was presented).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from extender.assessment.psychometrics_common import (
    BoolArray,
    Flag,
    FloatArray,
    PsychometricsInputError,
    checked_labels,
    correlation_or_reason,
    describe_positions,
    group_mean,
)

__all__ = ["ChoiceData", "ChoiceMatrix", "OptionStatistics", "checked_choices", "option_statistics"]

StrArray = NDArray[np.str_]
ChoiceMatrix = Sequence[Sequence[object]] | NDArray[Any]
"""Option labels, examinees x items; ``None``, ``""`` or NaN where no option was chosen."""


@dataclass(frozen=True)
class OptionStatistics:
    """How one answer option of one item behaved.

    Proportions are among examinees presented the item; ``upper_proportion`` and
    ``lower_proportion`` are ``None`` when no member of that group was presented the item.
    The point-biserial is against the rest score, so the key's equals the item's corrected
    point-biserial.
    """

    option: str
    is_key: bool
    count: int
    proportion: float
    upper_proportion: float | None
    lower_proportion: float | None
    point_biserial: float | None
    point_biserial_note: str | None
    flags: tuple[Flag, ...]


@dataclass(frozen=True)
class ChoiceData:
    """Validated choices: ``labels`` (N, J) with ``""`` for no choice, the key and the
    options offered per item."""

    labels: StrArray
    key: tuple[str, ...]
    options: tuple[tuple[str, ...], ...]


def _label(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def checked_choices(
    choices: ChoiceMatrix | None,
    key: Sequence[str] | None,
    options: Sequence[Sequence[str]] | None,
    scored: FloatArray,
) -> ChoiceData | None:
    """Validate choices against the scored matrix; ``None`` when no choices were given.

    The scored matrix must agree with choices and key wherever both exist: a disagreement
    means the scoring or the key is wrong, and every statistic built on either would be too.
    """
    if choices is None:
        if key is not None or options is not None:
            raise PsychometricsInputError(
                "key and options describe choices; pass choices too", field="choices"
            )
        return None
    if key is None:
        raise PsychometricsInputError("choices need the key to tell distractors apart", field="key")
    raw = np.asarray(choices, dtype=object)
    if raw.shape != scored.shape:
        raise PsychometricsInputError(
            f"choices has shape {raw.shape} but scored has {scored.shape}", field="choices"
        )
    labels = np.array([[_label(v) for v in row] for row in raw], dtype=np.str_)
    key_t = checked_labels(key, raw.shape[1], "key", unique=False)
    if "" in key_t:
        raise PsychometricsInputError("key has an empty entry", field="key")
    _check_scoring_agrees(labels, key_t, scored)
    return ChoiceData(labels, key_t, _option_lists(labels, key_t, options))


def _check_scoring_agrees(labels: StrArray, key: tuple[str, ...], scored: FloatArray) -> None:
    chosen = labels != ""
    presented = ~np.isnan(scored)
    keyed = labels == np.array(key, dtype=np.str_)[None, :]
    problems = {
        "choices recorded for items not presented (scored NaN)": chosen & ~presented,
        "scored correct but no option chosen": presented & ~chosen & (scored == 1.0),
        "scored does not match choices and key": presented & chosen & (scored != keyed),
    }
    for message, mask in problems.items():
        if mask.any():
            raise PsychometricsInputError(
                f"{message} at {describe_positions(mask)}", field="choices"
            )


def _option_lists(
    labels: StrArray, key: tuple[str, ...], options: Sequence[Sequence[str]] | None
) -> tuple[tuple[str, ...], ...]:
    """Options per item. Without ``options`` only options somebody chose (plus the key) are
    known, so a distractor nobody chose cannot be flagged."""
    n_items = labels.shape[1]
    observed = [{str(v) for v in labels[:, c] if v != ""} for c in range(n_items)]
    if options is None:
        return tuple(tuple(sorted(observed[c] | {key[c]})) for c in range(n_items))
    if len(options) != n_items:
        raise PsychometricsInputError(
            f"options has {len(options)} entries but there are {n_items} items", field="options"
        )
    lists: list[tuple[str, ...]] = []
    for c in range(n_items):
        offered = tuple(str(o) for o in options[c])
        if len(set(offered)) != len(offered) or "" in offered:
            raise PsychometricsInputError(
                f"options for column {c} are empty or repeated", field="options"
            )
        stray = (observed[c] | {key[c]}) - set(offered)
        if stray:
            raise PsychometricsInputError(
                f"column {c}: {', '.join(sorted(stray))} is not among the offered options "
                f"{', '.join(offered)}",
                field="options",
            )
        lists.append(offered)
    return tuple(lists)


def option_statistics(
    option: str,
    is_key: bool,
    chosen: StrArray,
    rest: FloatArray,
    upper: BoolArray,
    lower: BoolArray,
) -> OptionStatistics:
    """Statistics for one option; every array covers only examinees presented the item."""
    picked = (chosen == option).astype(np.float64)
    count = int(picked.sum())
    pb, note = correlation_or_reason(
        picked,
        rest,
        x_constant="nobody chose it" if count == 0 else "every examinee chose it",
        y_constant="every examinee presented the item has the same rest score",
    )
    flags: list[Flag] = []
    if not is_key and count == 0:
        flags.append(
            Flag(
                "distractor_never_chosen",
                f"distractor {option!r} was chosen by nobody, so it adds nothing to the item",
            )
        )
    if not is_key and pb is not None and pb > 0:
        flags.append(
            Flag(
                "distractor_positive_point_biserial",
                f"distractor {option!r} has point-biserial {pb:+.2f}: stronger examinees "
                "chose it, which suggests a second defensible answer or a miskey",
            )
        )
    return OptionStatistics(
        option=option,
        is_key=is_key,
        count=count,
        proportion=float(picked.mean()),
        upper_proportion=group_mean(picked, upper),
        lower_proportion=group_mean(picked, lower),
        point_biserial=pb,
        point_biserial_note=note,
        flags=tuple(flags),
    )
