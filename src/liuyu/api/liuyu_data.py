"""What the web map asks of a workspace: extent, search, station series; framework-free.

These helpers query the store with plain SQL (bound parameters only) where the Store protocol
has no verb (a name search, a per-station series list), on either backend: the SQL is portable
except the feature boxes of the search, which come from the GeoPackage's R-tree or from PostGIS.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import shapely

from liuyu.api.security import may_see
from liuyu.catalog import Category, load_categories
from liuyu.network import load_properties
from liuyu.store import gpkg_tables, obs_batches
from liuyu.store.sqlconn import dialect
from liuyu.workspace import Workspace

#: The fields a feature is found by in the search box, in the order they are shown.
SEARCH_FIELDS = ("name", "code")
BBox = tuple[float, float, float, float]


def searchable_categories() -> list[Category]:
    """Vector categories with a name or a code field, in catalogue order."""
    return [
        cat
        for cat in load_categories().values()
        if not cat.is_raster and any(f in cat.field_names for f in SEARCH_FIELDS) and may_see(cat.code)
    ]


# --- extent -------------------------------------------------------------------------------------
def layer_extent(ws: Workspace, cats: list[Category]) -> BBox | None:
    """The union of the extents the store gives for these layers (lon/lat), None when all are empty."""
    boxes = [b for b in (ws.store.layer_extent(c).bbox for c in cats) if b is not None]
    if not boxes:
        return None
    return (
        float(min(b[0] for b in boxes)),
        float(min(b[1] for b in boxes)),
        float(max(b[2] for b in boxes)),
        float(max(b[3] for b in boxes)),
    )


def basin_bbox(ws: Workspace) -> BBox | None:
    """The basin's bbox from its boundary layer, else the union of all layer extents."""
    boundary = ws.config.basin.boundary_category
    cats = load_categories()
    if boundary in cats and not cats[boundary].is_raster and ws.store.count(cats[boundary]) > 0:
        return layer_extent(ws, [cats[boundary]])
    return layer_extent(ws, [c for c in cats.values() if not c.is_raster])


# --- search -------------------------------------------------------------------------------------
def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_sql(cat: Category, pg: bool) -> tuple[str, list[str]]:
    """The search query of one category, and which of q, prefix, inside, limit fill its ``?`` in order.

    The boxes come from the GeoPackage's R-tree or, on PostGIS, from the geometry; SQLite's LIKE
    ignores ASCII case, PostgreSQL's does not, so there it is ILIKE.
    """
    t = cat.code
    fields = [f for f in SEARCH_FIELDS if f in cat.field_names]
    name = 't."name"' if "name" in fields else "NULL"
    code = 't."code"' if "code" in fields else "NULL"
    like = "ILIKE" if pg else "LIKE"
    equal = " OR ".join(f't."{f}" = ?' for f in fields)
    prefix = " OR ".join(f"t.\"{f}\" {like} ? ESCAPE '\\'" for f in fields)
    inside = " OR ".join(f"t.\"{f}\" {like} ? ESCAPE '\\'" for f in fields)
    if pg:
        box = "ST_XMin(t.geom), ST_YMin(t.geom), ST_XMax(t.geom), ST_YMax(t.geom)"
        source = f'"{t}" t'
    else:
        box = "r.minx, r.miny, r.maxx, r.maxy"
        source = f'"{t}" t LEFT JOIN "rtree_{t}_geom" r ON r.id = t.fid'
    sql = (
        f"SELECT t.feature_key, {name}, {code}, {box}, "
        f"CASE WHEN {equal} THEN 0 WHEN {prefix} THEN 1 ELSE 2 END AS rank "
        f"FROM {source} WHERE t.version_to IS NULL AND ({inside}) "
        f"ORDER BY rank, length(coalesce({name}, {code})), t.fid LIMIT ?"
    )
    return sql, ["q"] * len(fields) + ["prefix"] * len(fields) + ["inside"] * len(fields) + ["limit"]


def search_features(conn: Any, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """Current features whose name or code contains ``query``; exact, then prefix, then other hits.

    Each hit has its category, feature key (``id``), name, code, ``bbox`` (lon/lat) and, for
    points, ``point``.
    """
    q = query.strip()
    if not q:
        return []
    params = {"q": q, "prefix": _like_escape(q) + "%", "inside": "%" + _like_escape(q) + "%", "limit": limit}
    hits: list[dict[str, Any]] = []
    pg = dialect(conn) == "postgresql"
    for order, cat in enumerate(searchable_categories()):
        is_point = cat.geometry in ("Point", "MultiPoint")
        sql, names = _search_sql(cat, pg)
        for key, name, code, x0, y0, x1, y1, rank in conn.execute(sql, [params[n] for n in names]):
            bbox = None if x0 is None else [x0, y0, x1, y1]
            # the R-tree holds float32-rounded boxes: a point's box is its point, give or take 1e-5
            point = [(x0 + x1) / 2, (y0 + y1) / 2] if bbox is not None and is_point else None
            label = name if name is not None else code
            hits.append(
                {
                    "category": cat.code,
                    "id": key,
                    "name": name,
                    "code": code,
                    "bbox": bbox,
                    "point": point,
                    "_sort": (rank, len(str(label or "")), order),
                }
            )
    hits.sort(key=lambda h: h["_sort"])
    for h in hits:
        del h["_sort"]
    return hits[:limit]


# --- label points -------------------------------------------------------------------------------
_labels: dict[tuple[str, str, int | None], list[dict[str, Any]]] = {}


def label_points(ws: Workspace, cat: Category) -> list[dict[str, Any]]:
    """One point inside each named polygon of a category, where the map writes its name.

    Vector tiles cut polygons at tile edges, so a label drawn from the tiles repeats in every
    tile the polygon touches; one point per feature gives one label. Cached per layer version.
    """
    key = (str(ws.root), cat.code, ws.store.current_version(cat.code))
    if key not in _labels:
        frame = ws.read_layer(cat.code)
        frame = frame[frame["name"].notna() & ~frame.geometry.is_empty & frame.geometry.notna()]
        points = shapely.point_on_surface(shapely.make_valid(frame.geometry.values))
        xy = shapely.get_coordinates(points)
        _labels[key] = [
            {
                "type": "Feature",
                "id": k,
                "geometry": {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]},
                "properties": {"name": n, "id": k},
            }
            for k, n, (x, y) in zip(frame["feature_key"], frame["name"], xy, strict=True)
        ]
    return _labels[key]


# --- stations and their series --------------------------------------------------------------------
def station_feature(ws: Workspace, code: str) -> dict[str, Any] | None:
    """The current station with this code: its attributes, key, jurisdiction and lon/lat."""
    frame = ws.read_layer("stations")
    rows = frame[frame["code"] == code]
    if rows.empty:
        return None
    row = rows.iloc[0]
    cat = load_categories()["stations"]
    attrs = {f: _plain(row[f]) for f in cat.field_names}
    geom = row.geometry
    return {
        "id": row["feature_key"],
        "jurisdiction": _plain(row["jurisdiction"]),
        "attributes": attrs,
        "lon": None if geom is None or geom.is_empty else float(geom.x),
        "lat": None if geom is None or geom.is_empty else float(geom.y),
    }


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value from a pandas cell (NA -> None, numpy -> builtin, time -> ISO)."""
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def _property_names() -> pd.DataFrame:
    return load_properties().set_index("code")[["name_zh", "name_en", "unit"]]


def iso_utc(seconds: int | float | None) -> str | None:
    """Unix seconds as an ISO-8601 UTC string with a trailing Z."""
    if seconds is None:
        return None
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def station_series(ws: Workspace, code: str) -> list[dict[str, Any]]:
    """One row per series of the station: property, names, unit, count, first and last time.

    Counts distinct times, so corrected values (new revisions) are not counted twice; the counts
    and times are the summary each batch keeps in ``series`` (the values are in Parquet files).
    """
    conn = gpkg_tables.sql_conn(ws.store)  # portable SQL: GeoPackage or PostGIS
    if dialect(conn) == "sqlite":
        obs_batches.ensure_schema(conn)
    rows = conn.execute(
        "SELECT s.property_code, s.method, s.unit, p.name_zh, p.name_en, p.unit, "
        "s.n, CASE WHEN s.n > 0 THEN s.time_first END, CASE WHEN s.n > 0 THEN s.time_last END "
        "FROM series s LEFT JOIN observed_properties p ON p.code = s.property_code "
        "WHERE s.station_code = ?",
        (code,),
    ).fetchall()
    names = _property_names()
    # GB 3838 table order (the order of properties.toml), as people are used to reading it
    rank = {code: i for i, code in enumerate(names.index)}
    rows.sort(key=lambda r: (rank.get(r[0], len(rank)), r[0], r[1]))
    out = []
    for prop, method, s_unit, zh, en, p_unit, n, first, last in rows:
        known = names.loc[prop] if prop in names.index else None
        out.append(
            {
                "property": prop,
                "method": method or "",
                "name_zh": zh or (known["name_zh"] if known is not None else prop),
                "name_en": en or (known["name_en"] if known is not None else prop),
                "unit": s_unit or p_unit or (known["unit"] if known is not None else None),
                "count": int(n),
                "first": iso_utc(first),
                "last": iso_utc(last),
            }
        )
    return out


def station_observations(
    ws: Workspace,
    code: str,
    prop: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[dict[str, Any]]:
    """The station's observations of one property (latest revision of each), oldest first."""
    frame = ws.store.read_observations(
        station_code=code, property_code=prop, start=_aware(start), end=_aware(end)
    )
    frame = frame.sort_values(["phenomenon_time", "method"], kind="stable")
    times = frame["phenomenon_time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    values = frame["value"].astype(float)
    censor = frame["censor"].astype(object).where(frame["censor"].notna(), None)
    return [
        {"time": t, "value": None if pd.isna(v) else float(v), "censor": c, "qc_flag": int(q), "method": m}
        for t, v, c, q, m in zip(
            times, values, censor, frame["qc_flag"], frame["method"].fillna(""), strict=True
        )
    ]


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    """A time given without a zone is taken as UTC, as the API documents."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=dt.UTC)
