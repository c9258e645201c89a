"""Maps and charts drawn by the app as inline SVG: no script, no CDN, readable without colour.

Every shape carries its number as text and a ``<title>``; the tables beside them hold the same
figures for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from urllib.parse import quote

from markupsafe import Markup

# A tile map of Sweden's counties: (column, row), north at the top.
COUNTY_TILES: dict[str, tuple[int, int]] = {
    "SE332": (2, 0),
    "SE331": (1, 1),
    "SE322": (0, 2),
    "SE321": (1, 2),
    "SE312": (0, 3),
    "SE313": (1, 3),
    "SE311": (0, 4),
    "SE125": (1, 4),
    "SE121": (2, 4),
    "SE232": (0, 5),
    "SE124": (1, 5),
    "SE110": (2, 5),
    "SE123": (1, 6),
    "SE122": (2, 6),
    "SE231": (0, 7),
    "SE211": (1, 7),
    "SE213": (2, 7),
    "SE214": (3, 7),
    "SE224": (0, 8),
    "SE212": (1, 8),
    "SE221": (2, 8),
}
SHADES = ("#e6f4f1", "#b8e0d8", "#7cc4b6", "#2f8f83", "#0b5e55")  # light to dark
GREY = "#d9dde1"


def shade(value: int, top: int) -> tuple[str, str]:
    """Fill and text colour for a value on a scale up to ``top`` (text dark on light, light on dark)."""
    if top <= 0 or value <= 0:
        return SHADES[0], "#1f2933"
    step = min(len(SHADES) - 1, 1 + int((len(SHADES) - 2) * value / top))
    return SHADES[step], "#ffffff" if step >= 3 else "#1f2933"


def county_map(counts: Mapping[str, int], names: Mapping[str, str], allowed: set[str], link: str) -> Markup:
    """``link`` is a URL template with ``{code}``; counties not in ``allowed`` are grey, without a link."""
    w, h, gap = 150, 58, 6
    top = max((counts.get(c, 0) for c in allowed), default=0)
    parts = [
        f'<svg role="img" aria-label="{escape(names.get("_title", "map"))}" viewBox="0 0 {4 * (w + gap)} '
        f'{9 * (h + gap)}" width="100%" style="max-width:{4 * (w + gap)}px">'
    ]
    for code, (col, row) in COUNTY_TILES.items():
        x, y = col * (w + gap), row * (h + gap)
        name = escape(names.get(code, code).removesuffix(" län"))
        if code in allowed:
            fill, ink = shade(counts.get(code, 0), top)
            number = str(counts.get(code, 0))
            tile = (
                f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" fill="{fill}" stroke="#52606d"/>'
                f'<text x="{x + 8}" y="{y + 22}" fill="{ink}" font-size="14">{name}</text>'
                f'<text x="{x + 8}" y="{y + 46}" fill="{ink}" font-size="20" font-weight="bold">{number}</text>'
            )
            href = escape(link.format(code=code))
            parts.append(f'<a href="{href}" id="tile-{code}"><title>{name}: {number}</title>{tile}</a>')
        else:
            parts.append(
                f'<g id="tile-{code}"><title>{name}</title><rect x="{x}" y="{y}" width="{w}" height="{h}" '
                f'rx="6" fill="{GREY}"/><text x="{x + 8}" y="{y + 22}" fill="#3e4c59" '
                f'font-size="14">{name}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # ruff: ignore[unsafe-markup-use] - every name is escaped above


def municipality_tiles(counts: Mapping[str, int], blind: set[str], label_blind: str, link: str) -> Markup:
    """One tile per municipality, alphabetical, linking to its own progress (``link`` has ``{name}``);
    a blind spot is outlined in red and says so."""
    names = sorted(counts)
    cols, w, h, gap = 4, 170, 54, 6
    rows = max(1, (len(names) + cols - 1) // cols)
    top = max(counts.values(), default=0)
    parts = [
        f'<svg role="img" aria-label="{escape(label_blind)}" viewBox="0 0 {cols * (w + gap)} '
        f'{rows * (h + gap)}" width="100%" style="max-width:{cols * (w + gap)}px">'
    ]
    for i, name in enumerate(names):
        x, y = (i % cols) * (w + gap), (i // cols) * (h + gap)
        fill, ink = shade(counts[name], top)
        is_blind = name in blind
        stroke = 'stroke="#a61b1b" stroke-width="3" stroke-dasharray="6 3"' if is_blind else 'stroke="#52606d"'
        note = f" – {escape(label_blind)}" if is_blind else ""
        parts.append(
            f'<a href="{escape(link.format(name=quote(name)))}" class="muni{" blind" if is_blind else ""}">'
            f"<title>{escape(name)}: {counts[name]}{note}</title>"
            f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="5" fill="{fill}" {stroke}/>'
            f'<text x="{x + 8}" y="{y + 21}" fill="{ink}" font-size="13">{escape(name)}</text>'
            f'<text x="{x + 8}" y="{y + 42}" fill="{ink}" font-size="16" font-weight="bold">{counts[name]}'
            f"{' ⚠' if is_blind else ''}</text></a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # ruff: ignore[unsafe-markup-use] - every name is escaped above


def month_chart(months: list[tuple[str, int, int]], label: str) -> Markup:
    """Bars per month: the whole bar is tenders seen, the dark part those with social requirements."""
    w, h, bar, gap, base = 560, 240, 34, 11, 200
    top = max((seen for _, seen, _ in months), default=0) or 1
    parts = [
        f'<svg role="img" aria-label="{escape(label)}" viewBox="0 0 {w} {h}" width="100%" '
        f'style="max-width:{w}px"><line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#52606d"/>'
    ]
    for i, (name, seen, social) in enumerate(months):
        x = 8 + i * (bar + gap)
        full = round(170 * seen / top)
        part = round(170 * social / top)
        parts.append(
            f"<g><title>{escape(name)}: {seen} / {social}</title>"
            f'<rect x="{x}" y="{base - full}" width="{bar}" height="{full}" fill="#7cc4b6"/>'
            f'<rect x="{x}" y="{base - part}" width="{bar}" height="{part}" fill="#0b5e55"/>'
            f'<text x="{x + bar / 2}" y="{base - full - 5}" font-size="12" text-anchor="middle" '
            f'fill="#1f2933">{seen}</text>'
            f'<text x="{x + bar / 2}" y="{base + 18}" font-size="12" text-anchor="middle" '
            f'fill="#1f2933">{escape(name)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # ruff: ignore[unsafe-markup-use] - every name is escaped above
