"""The CRS of a delivery: declared, guessed from coordinate ranges, old datums only with parameters.

GCJ-02 suspicion (a layer ~500 m off the reference layers) lives in :mod:`liuyu.ingest.offset_detect`
and is re-exported here.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pyproj
from pyproj.crs import BoundCRS
from pyproj.crs.coordinate_operation import ToWGS84Transformation

from liuyu.errors import CRSError, IngestError
from liuyu.geo import Candidate, gk_zone_candidates, is_offset_crs, parse_crs
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.offset_detect import OffsetSuspicion, suspect_offset

__all__ = [
    "OffsetSuspicion",
    "check_datum",
    "crs_candidates",
    "crs_with_parameters",
    "describe_missing_crs",
    "old_datum",
    "resolve_crs",
    "storage_target",
    "suspect_offset",
]

# Ellipsoid semi-major axes of the old Chinese datums: Krassowsky (Beijing 1954) and
# IAU 1975/76 (Xian 1980); matched by name too, since ESRI .prj files spell them variously.
_OLD_AXES = {6378245.0: "Beijing 1954 / 北京54", 6378140.0: "Xian 1980 / 西安80"}
_OLD_NAMES = {
    "beijing1954": "Beijing 1954 / 北京54",
    "xian1980": "Xian 1980 / 西安80",
    "newbeijing": "New Beijing / 新北京54",
}
_TOWGS84_FORM = "'dx,dy,dz' or 'dx,dy,dz,rx,ry,rz,ds' (metres, arc-seconds, ppm; position-vector convention)"
_LIMITS = (2000.0, 2000.0, 2000.0, 100.0, 100.0, 100.0, 1000.0)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def old_datum(crs: pyproj.CRS) -> str | None:
    """ "Beijing 1954 / 北京54" or "Xian 1980 / 西安80" (or New Beijing) if ``crs`` is on an old
    Chinese datum, else None. A BoundCRS (with TOWGS84) is judged by its source CRS."""
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    geodetic = base.geodetic_crs
    if geodetic is None:
        return None
    name = _squash(geodetic.datum.name if geodetic.datum else geodetic.name)
    for key, label in _OLD_NAMES.items():
        if key in name:
            return label
    axis = round(geodetic.ellipsoid.semi_major_metre, 1) if geodetic.ellipsoid else None
    return _OLD_AXES.get(axis) if axis is not None else None


def _parameters(towgs84: str) -> list[float]:
    text = unicodedata.normalize("NFKC", towgs84).strip()
    text = re.sub(r"^\+?towgs84\s*=|^towgs84\s*\[|\]$", "", text, flags=re.IGNORECASE)
    try:
        values = [float(v) for v in re.split(r"[\s,;]+", text.strip()) if v]
    except ValueError as exc:
        raise CRSError(
            f"cannot read transformation parameters {towgs84!r}", hint=f"give {_TOWGS84_FORM}"
        ) from exc
    if len(values) not in (3, 7):
        raise CRSError(
            f"transformation parameters {towgs84!r}: {len(values)} numbers, expected 3 or 7",
            hint=f"give {_TOWGS84_FORM}",
        )
    for value, limit, what in zip(values, _LIMITS, ("dx", "dy", "dz", "rx", "ry", "rz", "ds"), strict=False):
        if abs(value) > limit:
            raise CRSError(
                f"transformation parameter {what} = {value:g} is implausible (|{what}| ≤ {limit:g})",
                hint="rotations are in arc-seconds and the scale in ppm (not radians or a factor); "
                f"give {_TOWGS84_FORM}",
            )
    return values


def crs_with_parameters(crs: pyproj.CRS | str | int, towgs84: str) -> pyproj.CRS:
    """Attach user-given (locally published) datum-shift parameters to a CRS.

    PROJ has no accurate Beijing 1954 / Xian 1980 → CGCS2000 transformation for Beijing and
    Hebei; the surveying authority publishes 3- or 7-parameter sets. The result is a
    BoundCRS whose shift to WGS-84 is exactly those parameters (position-vector convention,
    EPSG method 9606, as PROJ's ``+towgs84``). Reproject it with :func:`storage_target`,
    since PROJ applies the parameters only towards a target that is WGS-84 or bound to it.

    Parameters
    ----------
    crs : CRS-like
        The declared CRS, e.g. EPSG:2415 (Beijing 1954 / 3-degree GK zone 39).
    towgs84 : str
        ``"dx,dy,dz"`` or ``"dx,dy,dz,rx,ry,rz,ds"`` in metres, arc-seconds and ppm
        (``+towgs84=`` and ``TOWGS84[...]`` spellings accepted).

    Examples
    --------
    >>> crs_with_parameters("EPSG:2415", "-12,-118,-38").is_bound
    True
    """
    base = parse_crs(crs)
    base = base.source_crs if base.is_bound and base.source_crs is not None else base
    values = _parameters(towgs84)
    geodetic = base.geodetic_crs or base
    return pyproj.CRS.from_wkt(BoundCRS(base, "EPSG:4326", ToWGS84Transformation(geodetic, *values)).to_wkt())


def storage_target(crs: pyproj.CRS, target: str | pyproj.CRS = "EPSG:4490") -> pyproj.CRS:
    """The target to reproject ``crs`` into so that its datum-shift parameters are applied.

    For a BoundCRS from :func:`crs_with_parameters` the target is bound to WGS-84 with a null
    shift (CGCS2000 and WGS-84 agree to decimetres); otherwise the target itself. Use it as
    ``liuyu.geo.to_crs(geoms, crs, storage_target(crs))``: a plain EPSG:4490 target would make
    PROJ fall back to its "ballpark" null shift and ignore the parameters.
    """
    target_crs = parse_crs(target)
    if not crs.is_bound:
        return target_crs
    geodetic = target_crs.geodetic_crs or target_crs
    return pyproj.CRS.from_wkt(BoundCRS(target_crs, "EPSG:4326", ToWGS84Transformation(geodetic)).to_wkt())


def check_datum(crs: pyproj.CRS, *, towgs84: str | None = None, where: str = "the file") -> pyproj.CRS:
    """Refuse an old-datum CRS without parameters; with them, return it bound to them.

    Never a silent null shift: Beijing 1954 and Xian 1980 differ from CGCS2000 by tens to
    ~100 m here, and PROJ's fallback ignores that. Parameters in the file itself (a .prj
    with TOWGS84) are shown but not trusted on their own: ArcGIS often writes zeros there.
    """
    datum = old_datum(crs)
    if datum is None:
        return crs_with_parameters(crs, towgs84) if towgs84 else crs
    if towgs84:
        return crs_with_parameters(crs, towgs84)
    in_file = ""
    if crs.is_bound and "TOWGS84" in crs.to_wkt("WKT1_GDAL"):
        in_file = f" The file itself carries {crs.to_wkt('WKT1_GDAL').split('TOWGS84')[1].split(']')[0]}]."
    raise IngestError(
        f"{where} is in {datum} ({crs.name}): converting it to CGCS2000 needs locally published "
        f"transformation parameters, and PROJ has none for Beijing/Hebei.{in_file} "
        "旧坐标系（北京54/西安80）转换到CGCS2000需要当地测绘部门发布的转换参数。",
        hint=f"pass the parameters with --towgs84 {_TOWGS84_FORM}, or ask the agency to deliver the data in "
        "CGCS2000 (EPSG:4490 / 4527 / 4548)",
    )


def _bounds(delivery: Delivery) -> tuple[float, float, float, float] | None:
    if delivery.raster is not None:
        from liuyu.ingest.readers.geotiff import raster_bounds

        return raster_bounds(delivery.raster)
    if delivery.frame.empty:
        return None
    bounds = np.asarray(delivery.frame.total_bounds, dtype=np.float64)
    return None if not np.isfinite(bounds).all() else (bounds[0], bounds[1], bounds[2], bounds[3])


def crs_candidates(delivery: Delivery, *, central_meridian: float = 117.0) -> list[Candidate]:
    """CRSs a delivery without one may be in, most plausible first, from its coordinate ranges.

    Geographic degrees, 3°/6° Gauss-Krüger with the 8-digit zone prefix (and which zone), or
    without it (CM nearest the basin first); Beijing 1954 / Xian 1980 twins come last, marked
    ``needs_transformation``. Empty if nothing fits (or there are no coordinates).
    """
    bounds = _bounds(delivery)
    return [] if bounds is None else gk_zone_candidates(*bounds, central_meridian=central_meridian)


def describe_missing_crs(delivery: Delivery, *, central_meridian: float = 117.0) -> IngestError:
    """The error the pipeline raises when a delivery has no CRS and none was given.

    The message lists the candidates (English and Chinese) with their EPSG codes and says
    to pass ``--crs EPSG:N``.
    """
    where = delivery.source.name + (f" ({delivery.member})" if delivery.member else "")
    candidates = crs_candidates(delivery, central_meridian=central_meridian)
    bounds = _bounds(delivery)
    extent = ""
    if bounds is not None:
        extent = f" (x {bounds[0]:.10g}..{bounds[2]:.10g}, y {bounds[1]:.10g}..{bounds[3]:.10g})"
    if not candidates:
        return IngestError(
            f"{where}: no coordinate reference system is declared and the coordinates{extent} fit none "
            "of the usual ones here / 文件未声明坐标系，坐标范围也不符合常用坐标系",
            hint="ask the agency which coordinate system the data is in, then pass --crs EPSG:N",
        )
    lines = "\n".join(
        f"    EPSG:{c.epsg}  {c.name} — {c.reason}" + ("  [needs --towgs84]" * c.needs_transformation)
        for c in candidates
    )
    return IngestError(
        f"{where}: no coordinate reference system is declared (no .prj?) / 文件未声明坐标系。\n"
        f"  From the coordinates{extent} it is probably / 根据坐标范围，可能是:\n{lines}",
        hint=f"pass the right one with --crs EPSG:N, most likely --crs EPSG:{candidates[0].epsg} "
        f"/ 请用 --crs EPSG:N 指定坐标系",
    )


def resolve_crs(
    delivery: Delivery, crs: str | int | pyproj.CRS | None = None, *, towgs84: str | None = None
) -> pyproj.CRS | str:
    """The CRS to ingest a delivery with: the user's ``crs`` (which wins), else the declared one.

    Returns a pyproj CRS, or the string ``"gcj02"``/``"bd09"`` for offset data (reproject with
    ``liuyu.geo.to_crs``, which handles both). Raises :func:`describe_missing_crs`'s error
    when there is none, and :func:`check_datum`'s for Beijing 1954 / Xian 1980 without
    ``towgs84``.
    """
    if crs is not None and isinstance(crs, str) and is_offset_crs(crs):
        return crs.strip().lower().replace("-", "").replace("_", "")
    chosen = parse_crs(crs) if crs is not None else delivery.crs
    if chosen is None:
        raise describe_missing_crs(delivery)
    return check_datum(chosen, towgs84=towgs84, where=delivery.source.name)
