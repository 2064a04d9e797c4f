"""The HTML item pages draw every geometry type (the fuzzing found lines raising a 500)."""

from __future__ import annotations

import numpy as np
import shapely

from liuyu.api.html_views import svg_sketch


def test_the_sketch_draws_points_lines_areas_and_collections() -> None:
    geoms = np.array(
        [
            shapely.Point(116.9, 40.5),
            shapely.MultiPoint([(116.9, 40.5), (117.0, 40.6)]),
            shapely.LineString([(116.8, 40.4), (117.0, 40.6)]),
            shapely.MultiLineString([[(116.8, 40.4), (117.0, 40.6)], [(116.9, 40.4), (116.95, 40.5)]]),
            shapely.box(116.8, 40.4, 116.9, 40.5),
            shapely.MultiPolygon([shapely.box(116.8, 40.4, 116.9, 40.5)]),
            shapely.GeometryCollection([shapely.Point(116.9, 40.5)]),
            None,
        ],
        dtype=object,
    )
    svg = svg_sketch(geoms)
    assert svg is not None and svg.startswith("<svg")
    assert svg.count('stroke="#3b82f6"') >= 2  # both line features are stroked in the colour
    assert svg.count('fill="#3b82f6"') >= 4  # points and areas are filled
    assert svg_sketch(np.array([None], dtype=object)) is None
