"""The bulletin's map of the sections by class: inline SVG in the analysis CRS, no basemap, no script.

Boundaries (basin, counties, townships), rivers and reservoirs are simplified to about one
pixel and drawn as one path per layer; each section is a dot coloured by its class (Ⅰ–Ⅱ blue,
Ⅲ green, Ⅳ yellow, Ⅴ orange, 劣Ⅴ red, 2011 method), with a legend, a north arrow (grid north
of the projected CRS) and a scale bar. Projected metres map linearly to pixels, so the scale
bar is exact along the x axis.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

import geopandas as gpd
import numpy as np
import shapely

from liuyu.report.monthly import MapData

WIDTH, PAD, LEGEND_H = 640, 16, 28
#: CSS font stack: common CJK fonts, ending with the ones a Debian machine gets from apt. DejaVu
#: Sans comes before WenQuanYi Micro Hei because that font's glyph for Ⅴ (U+2164) is empty: the
#: Roman class numerals and Latin text then come from DejaVu, the Chinese from WenQuanYi.
FONTS = (
    '"Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", '
    '"DejaVu Sans", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", sans-serif'
)
_FONT_ATTR = FONTS.replace('"', "'")
#: Colour per class 1..6 (Ⅰ..劣Ⅴ); 0 = not assessed.
CLASS_COLOURS = ("#9e9e9e", "#1f6fd1", "#1f6fd1", "#2ca02c", "#f2c500", "#ff7f0e", "#d62728")
LEGEND = (("Ⅰ–Ⅱ", 1), ("Ⅲ", 3), ("Ⅳ", 4), ("Ⅴ", 5), ("劣Ⅴ", 6))
STYLES = {
    "townships": 'fill="none" stroke="#c9c9c9" stroke-width="0.4"',
    "counties": 'fill="none" stroke="#777" stroke-width="0.9" stroke-dasharray="5 2"',
    "basin": 'fill="#fbfbf7" stroke="#333" stroke-width="1.4"',
    "rivers": 'fill="none" stroke="#7fb3e0" stroke-width="0.8"',
    "reservoirs": 'fill="#cfe3f5" stroke="#7fb3e0" stroke-width="0.6" fill-rule="evenodd"',
}
ORDER = ("basin", "townships", "counties", "reservoirs", "rivers")
Transform = Callable[[np.ndarray], np.ndarray]


def _frame(bounds: np.ndarray) -> tuple[Transform, float, int]:
    """Metres → pixels (y down) fitted into WIDTH; returns the transform, metres per pixel, height."""
    x0, y0, x1, y1 = bounds
    dx, dy = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    scale = (WIDTH - 2 * PAD) / dx
    height = min(int(dy * scale) + 2 * PAD, 760)
    scale = min(scale, (height - 2 * PAD) / dy)
    ox = (WIDTH - dx * scale) / 2

    def transform(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([ox + (xy[:, 0] - x0) * scale, height - PAD - (xy[:, 1] - y0) * scale])

    return transform, 1.0 / scale, height + LEGEND_H


def _path(geoms: np.ndarray, transform: Transform, tolerance: float, close: bool) -> str:
    """One SVG path ``d`` for all the lines (polygon rings when ``close``) of ``geoms``."""
    geoms = shapely.simplify(geoms[~shapely.is_empty(geoms)], tolerance)
    lines = shapely.get_parts(shapely.boundary(geoms) if close else geoms)
    lines = shapely.get_parts(lines)  # multi-part boundaries of polygons with holes
    if len(lines) == 0:
        return ""
    xy, index = shapely.get_coordinates(lines, return_index=True)
    px = np.round(transform(xy), 1)
    cuts = np.flatnonzero(np.diff(index)) + 1
    end = "Z" if close else ""
    return "".join(
        "M" + "L".join(f"{x:g} {y:g}" for x, y in part) + end for part in np.split(px, cuts) if len(part) > 1
    )


def _scale_bar(m_per_px: float, height: int) -> str:
    target = m_per_px * WIDTH / 5
    steps = [s * 10**e for e in range(0, 7) for s in (1, 2, 5)]
    length = max([s for s in steps if s <= target] or [steps[0]])
    px = length / m_per_px
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    x, y = PAD + 4, height - LEGEND_H - PAD
    return (
        f'<g class="scale"><rect x="{x}" y="{y - 4}" width="{px:.1f}" height="4" fill="#333"/>'
        f'<rect x="{x + px / 2:.1f}" y="{y - 4}" width="{px / 2:.1f}" height="4" fill="#fff" stroke="#333" '
        f'stroke-width="0.6"/><text x="{x}" y="{y - 8}" font-size="10">0</text>'
        f'<text x="{x + px:.1f}" y="{y - 8}" font-size="10" text-anchor="middle">{label}</text></g>'
    )


def _north_arrow() -> str:
    x, y = WIDTH - PAD - 14, PAD + 6
    return (
        f'<g class="north"><path d="M{x} {y}L{x + 8} {y + 24}L{x} {y + 18}Z" fill="#333"/>'
        f'<path d="M{x} {y}L{x - 8} {y + 24}L{x} {y + 18}Z" fill="#fff" stroke="#333" stroke-width="0.8"/>'
        f'<text x="{x}" y="{y + 36}" font-size="11" text-anchor="middle">N 北</text></g>'
    )


def _legend(height: int, not_assessed: str) -> str:
    y = height - LEGEND_H / 2
    items, x = [], PAD
    for label, cls in (*LEGEND, (not_assessed, 0)):
        items.append(
            f'<circle cx="{x + 5}" cy="{y}" r="5" fill="{CLASS_COLOURS[cls]}" stroke="#333" '
            'stroke-width="0.5"/>'
            f'<text x="{x + 14}" y="{y + 4}" font-size="11">{escape(label)}</text>'
        )
        x += 26 + 11 * len(label) if cls else 0
    return '<g class="legend">' + "".join(items) + "</g>"


def section_map(data: MapData | None, *, lang: str = "zh") -> str:
    """The SVG markup of the map, or "" when there is nothing to place."""
    if data is None or data.sections.empty:
        return ""
    basin = data.layers.get("basin")
    ref = basin.geometry.array if basin is not None and not basin.empty else data.sections.geometry.array
    bounds = np.asarray(shapely.total_bounds(np.asarray(ref)))
    margin = max(bounds[2] - bounds[0], bounds[3] - bounds[1]) * 0.03
    bounds = bounds + np.array([-margin, -margin, margin, margin])
    transform, m_per_px, height = _frame(bounds)
    title = "断面水质类别分布" if lang == "zh" else "Water-quality class of the sections"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" font-family="{_FONT_ATTR}">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    for code in ORDER:
        layer = data.layers.get(code)
        if layer is not None and not layer.empty:
            d = _path(np.asarray(layer.geometry.array), transform, m_per_px, close=code != "rivers")
            parts.append(f'<path class="{code}" d="{d}" {STYLES[code]}/>' if d else "")
            if code == "reservoirs" and "class" in layer.columns:
                parts.append(_reservoir_classes(layer, transform, m_per_px))
    parts.append(_dots(data, transform))
    parts += [
        _north_arrow(),
        _scale_bar(m_per_px, height),
        _legend(height, "未评价" if lang == "zh" else "n/a"),
    ]
    parts.append("</svg>")
    return "".join(parts)


def _reservoir_classes(layer: gpd.GeoDataFrame, transform: Transform, m_per_px: float) -> str:
    """Reservoir polygons tinted by the water body's class (as a lake/reservoir), over the plain fill."""
    cls = np.nan_to_num(layer["class"].to_numpy(dtype=float), nan=0).astype(int)
    out = []
    for c in np.unique(cls[cls > 0]):
        d = _path(np.asarray(layer.geometry.array)[cls == c], transform, m_per_px, close=True)
        if d:
            out.append(
                f'<path class="reservoir-class" data-class="{c}" d="{d}" fill="{CLASS_COLOURS[c]}" '
                'fill-opacity="0.45" stroke="none" fill-rule="evenodd"/>'
            )
    return "".join(out)


def _dots(data: MapData, transform: Transform) -> str:
    pts = data.sections.sort_values("class", na_position="first", kind="stable")
    xy = transform(shapely.get_coordinates(np.asarray(pts.geometry.array)))
    cls = np.nan_to_num(pts["class"].to_numpy(dtype=float), nan=0).astype(int)
    out = []
    for (x, y), c, code, name, label in zip(xy, cls, pts["code"], pts["name"], pts["label"], strict=True):
        if math.isfinite(x) and math.isfinite(y):
            tip = escape(" ".join(str(v) for v in (code, name, label) if v))
            out.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.2" fill="{CLASS_COLOURS[c]}" stroke="#222" '
                f'stroke-width="0.6"><title>{tip}</title></circle>'
            )
    return '<g class="sections">' + "".join(out) + "</g>"


def class_bars(shares: list[tuple[str, int, float, str]], *, lang: str = "zh") -> str:
    """Horizontal bars of the share of sections per class group (label, count, percent, colour)."""
    width, row, left = 560, 26, 56
    height = row * len(shares) + 24
    unit = "个" if lang == "zh" else ""
    span = width - left - 110
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" font-family="{_FONT_ATTR}">'
    ]
    for i, (label, count, share, colour) in enumerate(shares):
        y = 8 + i * row
        w = span * (share if math.isfinite(share) else 0.0) / 100.0
        parts.append(
            f'<text x="{left - 8}" y="{y + 15}" font-size="12" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{colour}" stroke="#555" stroke-width="0.4"/>'
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="11">{share:.1f}% ({count}{unit})</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="4" x2="{left}" y2="{height - 12}" stroke="#333" stroke-width="0.8"/>'
    )
    parts.append("</svg>")
    return "".join(parts)
