"""The October report's charts: inline SVG bars, each bar's number written beside it.

No script and no colour needed to read them: the number is text next to the bar, and each bar
has a ``<title>``. WeasyPrint draws the same SVG into the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

DARK, LIGHT, INK = "#0b5e55", "#7cc4b6", "#1f2933"


def paired_bars(rows: Sequence[tuple[str, int, int]], legend: tuple[str, str], title: str) -> Markup:
    """Two horizontal bars per row (``legend`` names them), each followed by its number."""
    label_w, bar_w, row_h, top_pad = 150, 300, 34, 26
    top = max((max(a, b) for _, a, b in rows), default=0) or 1
    height = top_pad + row_h * len(rows) + 6
    width = label_w + bar_w + 60
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="{DARK}"/>'
        f'<text x="{label_w + 14}" y="13" font-size="11" fill="{INK}">{escape(legend[0])}</text>'
        f'<rect x="{label_w + 170}" y="4" width="10" height="10" fill="{LIGHT}"/>'
        f'<text x="{label_w + 184}" y="13" font-size="11" fill="{INK}">{escape(legend[1])}</text>',
    ]
    for i, (label, a, b) in enumerate(rows):
        y = top_pad + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" font-size="12" text-anchor="end" '
                     f'fill="{INK}">{escape(label)}</text>')  # fmt: skip
        for j, (value, fill, name) in enumerate(((a, DARK, legend[0]), (b, LIGHT, legend[1]))):
            w = round(bar_w * value / top)
            by = y + j * 14
            parts.append(
                f"<g><title>{escape(label)}, {escape(name)}: {value}</title>"
                f'<rect x="{label_w}" y="{by}" width="{max(w, 1)}" height="12" fill="{fill}"/>'
                f'<text x="{label_w + w + 4}" y="{by + 10}" font-size="11" fill="{INK}">{value}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # ruff: ignore[unsafe-markup-use] - every text is escaped above


def bars(rows: Sequence[tuple[str, int]], title: str) -> Markup:
    """One horizontal bar per row, its number beside it."""
    label_w, bar_w, row_h = 270, 230, 20
    top = max((v for _, v in rows), default=0) or 1
    width, height = label_w + bar_w + 50, row_h * len(rows) + 6
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 3 + i * row_h
        w = round(bar_w * value / top)
        short = label if len(label) <= 40 else label[:38] + "…"
        parts.append(
            f"<g><title>{escape(label)}: {value}</title>"
            f'<text x="{label_w - 6}" y="{y + 12}" font-size="11" text-anchor="end" fill="{INK}">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{max(w, 1)}" height="12" fill="{DARK}"/>'
            f'<text x="{label_w + w + 4}" y="{y + 12}" font-size="11" fill="{INK}">{value}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # ruff: ignore[unsafe-markup-use] - every text is escaped above
