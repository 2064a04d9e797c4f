"""A small inline SVG map of where an ingest's problems are, for the self-contained HTML report.

No tiles and no script: the delivery's extent as a frame, a graticule label at the corners,
and one dot per located problem (red: quarantined, orange: warning, violet: a finding about
the layer as a whole such as a coverage gap), each with a tooltip naming row and reason.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

WIDTH, HEIGHT, PAD = 520, 360, 24
MAX_DOTS = 3000
COLOURS = {"error": "#d62728", "warning": "#ff7f0e", "info": "#1f77b4", "note": "#9467bd"}


def problem_map(
    problems: list[dict[str, Any]], notes: list[dict[str, Any]], extent: list[float] | None
) -> str:
    """SVG markup (a string) of the problem locations within ``extent`` (lon/lat bounds)."""
    dots = [(p["lon"], p["lat"], p["severity"], _title(p)) for p in problems if "lon" in p and "lat" in p]
    dots += [(n["lon"], n["lat"], "note", n["message"]) for n in notes if "lon" in n and "lat" in n]
    box = _box(extent, dots)
    if box is None:
        return ""
    project = _projector(box)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="问题位置 Problem locations">',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#f7f7f4"/>',
    ]
    if extent is not None:
        x0, y0 = project(extent[0], extent[3])
        x1, y1 = project(extent[2], extent[1])
        parts.append(
            f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{max(x1 - x0, 1):.1f}" height="{max(y1 - y0, 1):.1f}" '
            'fill="#fff" stroke="#888" stroke-dasharray="4 3"/>'
        )
    order = {"info": 0, "warning": 1, "note": 2, "error": 3}  # errors drawn last, on top
    for lon, lat, sev, title in sorted(dots[:MAX_DOTS], key=lambda d: order.get(d[2], 0)):
        x, y = project(lon, lat)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS.get(sev, "#333")}" '
            f'fill-opacity="0.8" stroke="#fff" stroke-width="0.8"><title>{escape(title)}</title></circle>'
        )
    parts.append(_corners(box))
    parts.append("</svg>")
    return "".join(parts)


def _title(p: dict[str, Any]) -> str:
    bits = [f"row {p.get('row', '?')}", p["reason"]]
    bits += [str(p[k]) for k in ("field", "value", "detail") if p.get(k)]
    return " · ".join(bits)


def _box(extent: list[float] | None, dots: list[tuple[Any, ...]]) -> tuple[float, float, float, float] | None:
    """The bounds to draw: the extent and every dot, padded; None when there is nothing to draw."""
    xs = [d[0] for d in dots if _finite(d[0], d[1])]
    ys = [d[1] for d in dots if _finite(d[0], d[1])]
    if extent is not None and all(_finite(v) for v in extent):
        xs += [extent[0], extent[2]]
        ys += [extent[1], extent[3]]
    if not xs:
        return None
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    dx, dy = max(x1 - x0, 1e-3), max(y1 - y0, 1e-3)
    return x0 - dx * 0.05, y0 - dy * 0.05, x1 + dx * 0.05, y1 + dy * 0.05


def _finite(*values: Any) -> bool:
    return all(isinstance(v, int | float) and math.isfinite(v) for v in values)


def _projector(box: tuple[float, float, float, float]) -> Any:
    """lon/lat -> SVG x/y: equirectangular scaled by cos(latitude), fitted into the frame."""
    x0, y0, x1, y1 = box
    k = math.cos(math.radians((y0 + y1) / 2))
    w, h = (x1 - x0) * k, y1 - y0
    scale = min((WIDTH - 2 * PAD) / w, (HEIGHT - 2 * PAD) / h)
    ox = (WIDTH - w * scale) / 2
    oy = (HEIGHT - h * scale) / 2

    def project(lon: float, lat: float) -> tuple[float, float]:
        return ox + (lon - x0) * k * scale, HEIGHT - oy - (lat - y0) * scale

    return project


def _corners(box: tuple[float, float, float, float]) -> str:
    x0, y0, x1, y1 = box
    style = 'font-size="10" fill="#555" font-family="sans-serif"'
    return (
        f'<text x="4" y="{HEIGHT - 6}" {style}>{x0:.3f}°E {y0:.3f}°N</text>'
        f'<text x="{WIDTH - 4}" y="12" text-anchor="end" {style}>{x1:.3f}°E {y1:.3f}°N</text>'
    )
