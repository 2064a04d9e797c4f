"""The MVT encoder, held to the spec by decoding its tiles with mapbox-vector-tile and protobuf."""

from __future__ import annotations

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

from liuyu.tiles.commands import MVT_TYPE, encode_geometries
from liuyu.tiles.mvt import encode_layer


def encode(geoms, kind, columns=()):
    cmds = encode_geometries(np.asarray(geoms, dtype=object), kind)
    return encode_layer("layer", MVT_TYPE[kind], cmds, list(columns))


def decode(data):
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})["layer"]


def raw_rings(geometry):
    """(LineTo deltas, ring vertices) of each ring of a raw polygon command stream."""
    rings, i, x, y = [], 0, 0, 0
    while i < len(geometry):
        cmd, count = geometry[i] & 7, geometry[i] >> 3
        i += 1
        if cmd == 7:
            continue
        pts, deltas = [], []
        for _ in range(count):
            dx, dy = (geometry[i] >> 1) ^ -(geometry[i] & 1), (geometry[i + 1] >> 1) ^ -(geometry[i + 1] & 1)
            x, y, i = x + dx, y + dy, i + 2
            pts.append((x, y))
            deltas.append((dx, dy))
        if cmd == 1:
            rings.append(([], pts))
        else:
            rings[-1][0].extend(deltas)
            rings[-1][1].extend(pts)
    return rings


def shoelace(pts):
    nxt = pts[1:] + pts[:1]
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, nxt, strict=True))


def test_polygon_with_hole_round_trips_with_spec_winding():
    outer = [(100, 100), (1000, 100), (1000, 1000), (100, 1000)]
    hole = [(300, 300), (300, 600), (600, 600), (600, 300)]
    poly = shapely.Polygon(outer, [hole])
    data = encode([poly], "polygon", [("name", pd.Series(["密云水库"]))])
    layer = decode(data)
    assert layer["extent"] == 4096 and layer["version"] == 2
    (feature,) = layer["features"]
    assert feature["properties"] == {"name": "密云水库"}
    assert shapely.geometry.shape(feature["geometry"]).equals(poly)
    raw = vector_tile_pb2.tile()
    raw.ParseFromString(data)
    rings = raw_rings(list(raw.layers[0].features[0].geometry))
    assert shoelace(rings[0][1]) > 0 and shoelace(rings[1][1]) < 0  # exterior clockwise on screen


def test_properties_types_and_nulls():
    geoms = [shapely.Point(10, 10), shapely.Point(20, 20)]
    cols = [
        ("s", pd.Series(["a", None], dtype=object)),
        ("f", pd.Series([1.5, np.nan])),
        ("i", pd.Series([-3, 7], dtype="Int64")),
        ("b", pd.Series([True, None], dtype="boolean")),
        ("big", pd.Series([2**40, None], dtype="Int64")),
        ("id", pd.Series(["a", "k2"], dtype=object)),
    ]
    f1, f2 = decode(encode(geoms, "point", cols))["features"]
    assert f1["properties"] == {"s": "a", "f": 1.5, "i": -3, "b": True, "big": 2**40, "id": "a"}
    assert f2["properties"] == {"i": 7, "id": "k2"}
    assert f1["geometry"] == {"type": "Point", "coordinates": [10, 10]}


def test_rounding_removes_repeated_points_and_collapsed_rings():
    line = shapely.LineString([(0, 0), (0.2, 0.1), (5, 5), (5.3, 5.2), (9, 0)])
    sliver = shapely.Polygon([(10, 10), (10.2, 10), (10.2, 10.3), (10, 10.3)])
    layer = decode(encode([line], "line"))
    (feat,) = layer["features"]
    assert feat["geometry"]["coordinates"] == [[0, 0], [5, 5], [9, 0]]
    assert encode([sliver], "polygon") == b""


def test_multipart_features_keep_their_cursor_across_parts():
    mp = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(100, 100, 120, 130)])
    ml = shapely.MultiLineString([[(0, 0), (10, 0)], [(50, 50), (50, 80)]])
    pts = shapely.MultiPoint([(1, 2), (3, 4)])
    assert shapely.geometry.shape(decode(encode([mp], "polygon"))["features"][0]["geometry"]).equals(mp)
    assert shapely.geometry.shape(decode(encode([ml], "line"))["features"][0]["geometry"]).equals(ml)
    assert decode(encode([pts], "point"))["features"][0]["geometry"]["coordinates"] == [[1, 2], [3, 4]]


def test_no_zero_length_line_to():
    rng = np.random.default_rng(3)
    polys = [shapely.Polygon(rng.uniform(0, 30, (12, 2))).buffer(0) for _ in range(50)]
    data = encode(polys, "polygon")
    raw = vector_tile_pb2.tile()
    raw.ParseFromString(data)
    for f in raw.layers[0].features:
        rings = raw_rings(list(f.geometry))
        assert shoelace(rings[0][1]) > 0
        for deltas, pts in rings:
            assert all(d != (0, 0) for d in deltas) and len(pts) >= 3


def test_features_without_geometry_are_left_out_and_empty_layers_are_empty():
    geoms = [shapely.from_wkt("POLYGON EMPTY"), shapely.box(0, 0, 50, 50), None]
    layer = decode(encode(geoms, "polygon", [("k", pd.Series(["a", "b", "c"]))]))
    assert [f["properties"]["k"] for f in layer["features"]] == ["b"]
    assert encode([shapely.from_wkt("POLYGON EMPTY")], "polygon") == b""


@pytest.mark.parametrize("n", [1, 1000])
def test_many_features_decode(n):
    x, y = np.arange(n) % 40 * 100, np.arange(n) // 40 * 100
    boxes = shapely.box(x, y, x + 60, y + 60)
    keys = pd.Series([f"P{i:06d}" for i in range(n)], dtype=object)
    layer = decode(encode(boxes, "polygon", [("parcel_id", keys), ("id", keys)]))
    assert len(layer["features"]) == n
    assert layer["features"][-1]["properties"] == {"parcel_id": f"P{n - 1:06d}", "id": f"P{n - 1:06d}"}
