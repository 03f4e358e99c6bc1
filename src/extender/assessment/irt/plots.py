"""Small SVG charts for psychometric reports, written by hand.

Why by hand: the exam report needs three simple line/bar charts, and a few dozen lines of SVG
spare the platform a plotting dependency (matplotlib is not a dependency) and render the same
in every browser, in print and in a PDF. Each function returns a complete ``<svg>`` string that
a template can inline; text is escaped, and sizes are in CSS pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import ArrayLike

from extender.assessment.irt.models import FloatArray, ItemSet

__all__ = ["exposure_histogram_svg", "icc_svg", "test_information_svg"]

_MARGIN = (48.0, 16.0, 36.0, 44.0)  # left, right, top, bottom
_PALETTE = ("#1f6feb", "#d1495b", "#2a9d8f", "#e9a23b", "#6a4c93", "#577590")


class _Frame:
    """Maps data coordinates to pixels and draws axes with round-number ticks."""

    def __init__(
        self,
        width: int,
        height: int,
        x_range: tuple[float, float],
        y_range: tuple[float, float],
    ) -> None:
        self.width, self.height = width, height
        self.x_range, self.y_range = x_range, y_range
        left, right, top, bottom = _MARGIN
        self.left, self.right = left, width - right
        self.top, self.bottom = top, height - bottom

    def x(self, value: FloatArray | float) -> FloatArray:
        low, high = self.x_range
        return np.asarray(
            self.left + (np.asarray(value) - low) / (high - low) * (self.right - self.left)
        )

    def y(self, value: FloatArray | float) -> FloatArray:
        low, high = self.y_range
        span = (high - low) or 1.0
        return np.asarray(self.bottom - (np.asarray(value) - low) / span * (self.bottom - self.top))

    def axes(self, title: str, x_label: str, y_label: str) -> list[str]:
        parts = [
            f'<text x="{self.width / 2:.1f}" y="20" text-anchor="middle" font-size="14" '
            f'font-weight="600">{escape(title)}</text>',
            f'<line x1="{self.left}" y1="{self.bottom}" x2="{self.right}" y2="{self.bottom}" '
            'stroke="#444"/>',
            f'<line x1="{self.left}" y1="{self.top}" x2="{self.left}" y2="{self.bottom}" '
            'stroke="#444"/>',
            f'<text x="{(self.left + self.right) / 2:.1f}" y="{self.height - 8}" '
            f'text-anchor="middle" font-size="12">{escape(x_label)}</text>',
            f'<text x="14" y="{(self.top + self.bottom) / 2:.1f}" text-anchor="middle" '
            f'font-size="12" transform="rotate(-90 14 {(self.top + self.bottom) / 2:.1f})">'
            f"{escape(y_label)}</text>",
        ]
        for tick in _ticks(*self.x_range):
            px = float(self.x(tick))
            parts.append(
                f'<line x1="{px:.1f}" y1="{self.bottom}" x2="{px:.1f}" y2="{self.bottom + 4}" '
                f'stroke="#444"/><text x="{px:.1f}" y="{self.bottom + 16}" '
                f'text-anchor="middle" font-size="10">{_label(tick)}</text>'
            )
        for tick in _ticks(*self.y_range):
            py = float(self.y(tick))
            parts.append(
                f'<line x1="{self.left - 4}" y1="{py:.1f}" x2="{self.left}" y2="{py:.1f}" '
                f'stroke="#444"/><text x="{self.left - 6}" y="{py + 3:.1f}" '
                f'text-anchor="end" font-size="10">{_label(tick)}</text>'
            )
        return parts

    def polyline(self, xs: FloatArray, ys: FloatArray, color: str) -> str:
        points = " ".join(
            f"{px:.1f},{py:.1f}" for px, py in zip(self.x(xs), self.y(ys), strict=True)
        )
        return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>'

    def svg(self, parts: list[str]) -> str:
        body = "".join(parts)
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
            f'font-family="sans-serif" role="img">{body}</svg>'
        )


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    raw = span / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = float(min((m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw), default=raw))
    start = np.ceil(low / step) * step
    return [float(v) for v in np.arange(start, high + step * 1e-9, step)]


def _label(value: float) -> str:
    return f"{value:g}"


def test_information_svg(
    items: ItemSet,
    *,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    width: int = 480,
    height: int = 300,
    title: str = "Test information",
) -> str:
    """Test information across theta; the peak shows where the test measures best."""
    grid = np.linspace(theta_range[0], theta_range[1], 161)
    info = items.information(grid).sum(axis=1)
    frame = _Frame(width, height, theta_range, (0.0, float(max(info.max(), 1e-9)) * 1.05))
    parts = frame.axes(title, "theta", "information")
    parts.append(frame.polyline(grid, info, _PALETTE[0]))
    return frame.svg(parts)


def icc_svg(
    items: ItemSet,
    indices: Sequence[int] | None = None,
    *,
    theta_range: tuple[float, float] = (-4.0, 4.0),
    width: int = 480,
    height: int = 300,
    title: str = "Item characteristic curves",
) -> str:
    """Expected item score as a share of its maximum (P(correct) for dichotomous items)."""
    chosen = list(range(min(items.n_items, 6))) if indices is None else list(indices)
    grid = np.linspace(theta_range[0], theta_range[1], 121)
    expected = items.expected_score(grid) / (items.n_categories - 1)[None, :]
    frame = _Frame(width, height, theta_range, (0.0, 1.0))
    parts = frame.axes(title, "theta", "expected score (share of maximum)")
    for position, item in enumerate(chosen):
        color = _PALETTE[position % len(_PALETTE)]
        parts.append(frame.polyline(grid, expected[:, item], color))
        label_y = float(frame.y(expected[-1, item]))
        parts.append(
            f'<text x="{frame.right - 2:.1f}" y="{label_y - 4:.1f}" text-anchor="end" '
            f'font-size="10" fill="{color}">item {item}</text>'
        )
    return frame.svg(parts)


def exposure_histogram_svg(
    exposure_rates: ArrayLike,
    *,
    bins: int = 20,
    width: int = 480,
    height: int = 300,
    title: str = "Item exposure",
) -> str:
    """How many items fall in each exposure-rate band; a long right tail is a security risk."""
    rates = np.clip(np.asarray(exposure_rates, dtype=np.float64).reshape(-1), 0.0, 1.0)
    counts, edges = np.histogram(rates, bins=bins, range=(0.0, 1.0))
    frame = _Frame(width, height, (0.0, 1.0), (0.0, float(max(counts.max(initial=0), 1)) * 1.05))
    parts = frame.axes(title, "exposure rate", "items")
    base = float(frame.y(0.0))
    for count, low, high in zip(counts, edges[:-1], edges[1:], strict=True):
        if count == 0:
            continue
        x0, x1 = float(frame.x(low)), float(frame.x(high))
        top = float(frame.y(float(count)))
        parts.append(
            f'<rect x="{x0 + 0.5:.1f}" y="{top:.1f}" width="{max(x1 - x0 - 1.0, 0.5):.1f}" '
            f'height="{base - top:.1f}" fill="{_PALETTE[0]}"><title>{int(count)} items, '
            f"{low:.2f}-{high:.2f}</title></rect>"
        )
    return frame.svg(parts)
