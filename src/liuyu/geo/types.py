"""Names of the GEOS geometry type ids that shapely.get_type_id returns, for messages and reports."""

GEOMETRY_TYPE_NAMES: dict[int, str] = {
    -1: "None",
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
