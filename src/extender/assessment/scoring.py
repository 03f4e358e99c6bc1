"""Scoring rules, pure: an item is right only when the whole answer is (every keyed option
and nothing else; the exact order for ordering items). Raw scores map to a 100-500 scale on
which the cut score is always 300, so scaled scores compare across forms with different cuts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCALE_MIN, SCALE_CUT, SCALE_MAX = 100, 300, 500
STRONG, WEAK = 0.75, 0.60


def is_correct(item_type: str, key: Sequence[str], answer: Sequence[str]) -> bool:
    if item_type == "ordering":
        return list(answer) == list(key)
    if item_type == "multiple_response":
        return set(answer) == set(key) and len(answer) == len(set(answer))
    return len(answer) == 1 and answer[0] == key[0]


def scaled_score(raw: int, maximum: int, cut_percent: float) -> int:
    """Piecewise-linear: 0 -> 100, the cut -> 300, full marks -> 500."""
    if maximum <= 0:
        raise ValueError("an exam needs at least one item")
    share, cut = raw / maximum, cut_percent / 100
    if share < cut:
        return round(SCALE_MIN + (SCALE_CUT - SCALE_MIN) * share / cut)
    if cut >= 1:
        return SCALE_MAX
    return round(SCALE_CUT + (SCALE_MAX - SCALE_CUT) * (share - cut) / (1 - cut))


@dataclass(frozen=True)
class DomainResult:
    domain: str
    correct: int
    total: int

    @property
    def share(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def level(self) -> str:
        return "strong" if self.share >= STRONG else ("weak" if self.share < WEAK else "adequate")
