"""What the HTML pages show beyond the JSON: column titles and a small inline SVG sketch (no basemap)."""

from __future__ import annotations

import math

import numpy as np
import shapely

from liuyu.catalog import Category

SVG_HEIGHT = 280


def column_titles(cat: Category) -> list[tuple[str, str]]:
    """(property name, "中文 English" title) for every published property, in column order."""
    titles = [(f.name, f"{f.name_zh} {f.name_en}" + (f" ({f.unit})" if f.unit else "")) for f in cat.fields]
    return [*titles, ("jurisdiction", "管辖 Jurisdiction")]


#: shapely names the colour argument after what it paints: lines are stroked, areas and points filled.
_COLOUR_ARG = {"LineString": "stroke_color", "MultiLineString": "stroke_color", "GeometryCollection": "color"}


def _svg(geom: shapely.Geometry, scale: float) -> str:
    arg = _COLOUR_ARG.get(geom.geom_type, "fill_color")
    return str(geom.svg(scale_factor=scale, **{arg: "#3b82f6"}))


def svg_sketch(geoms: np.ndarray) -> str | None:
    """An inline SVG drawing of the geometries (storage CRS, lon/lat), or None when there are none.

    Longitude is shrunk by cos(latitude) so shapes keep their proportions near 40°N; the SVG
    references nothing outside the page.
    """
    present = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if len(present) == 0:
        return None
    x0, y0, x1, y1 = shapely.total_bounds(present).tolist()
    k = math.cos(math.radians((y0 + y1) / 2))
    w, h = max((x1 - x0) * k, 1e-6), max(y1 - y0, 1e-6)
    pad = 0.03 * max(w, h)
    scale = max(w, h) / 250
    shapes = "".join(_svg(g, scale) for g in present.tolist())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="features sketch" '
        f'viewBox="{x0 * k - pad} {-y1 - pad} {w + 2 * pad} {h + 2 * pad}" '
        f'width="100%" height="{SVG_HEIGHT}" preserveAspectRatio="xMidYMid meet">'
        f'<g transform="scale({k},-1)">{shapes}</g></svg>'
    )
