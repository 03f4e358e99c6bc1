"""Server-rendered SVG charts: readable without JavaScript, each with a title and a
description for screen readers, and always shown beside a table of the same numbers."""

from __future__ import annotations

from html import escape

BAR = "#0b5c7a"
TRACK = "#d5dbe3"
INK = "#1b1f24"


def progress_bars(rows: list[tuple[str, int]], title: str, description: str) -> str:
    """Horizontal bars, one per row, 0-100%."""
    label_w, bar_w, row_h, top = 190, 360, 24, 8
    height = top + row_h * len(rows) + 24
    width = label_w + bar_w + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="chart-title chart-desc" '
        f'font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for i, (label, pct) in enumerate(rows):
        y = top + i * row_h
        pct = max(0, min(100, pct))
        short = label if len(label) <= 26 else label[:25] + "…"
        parts += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}">'
            f"{escape(short)}</text>",
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="14" fill="{TRACK}" rx="3"/>',
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w * pct / 100:.1f}" height="14" '
            f'fill="{BAR}" rx="3"/>',
            f'<text x="{label_w + bar_w + 8}" y="{y + 15}" fill="{INK}">{pct}%</text>',
        ]
    axis_y = top + row_h * len(rows) + 14
    for tick in (0, 50, 100):
        x = label_w + bar_w * tick / 100
        parts.append(
            f'<text x="{x:.0f}" y="{axis_y}" text-anchor="middle" fill="{INK}" '
            f'font-size="11">{tick}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    counts: list[int],
    labels: list[str],
    title: str,
    description: str,
    marker: int | None = None,
    marker_label: str = "",
) -> str:
    """Vertical bars (a score distribution), with an optional vertical marker (the cut)."""
    width, height, left, bottom, top = 560, 240, 40, 30, 12
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(counts) if counts and max(counts) > 0 else 1
    bar_w = plot_w / max(1, len(counts))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="hist-title hist-desc" '
        f'font-family="system-ui, sans-serif" font-size="11">',
        f'<title id="hist-title">{escape(title)}</title>',
        f'<desc id="hist-desc">{escape(description)}</desc>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        f'stroke="{INK}"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" fill="{INK}">{peak}</text>',
    ]
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        x = left + i * bar_w
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="{BAR}"><title>{escape(labels[i])}: {count}'
            f"</title></rect>"
        )
        if i % max(1, len(counts) // 10) == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 14}" '
                f'text-anchor="middle" fill="{INK}">{escape(labels[i])}</text>'
            )
    if marker is not None and 0 <= marker <= len(counts):
        x = left + marker * bar_w
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" '
            f'stroke="#a1231b" stroke-width="2" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x + 4:.1f}" y="{top + 10}" fill="#a1231b">{escape(marker_label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
