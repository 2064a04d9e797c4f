"""Chinese Gauss-Krüger grids: EPSG codes by zone, and guessing the grid of a layer with no CRS."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyproj

from liuyu.errors import CRSError

__all__ = [
    "Candidate",
    "analysis_crs_for_bounds",
    "gk_epsg",
    "gk_zone_candidates",
    "utm_or_gk_zone_for_lon",
]

# Gauss-Krüger EPSG codes run consecutively by zone (checked against PROJ 9.5's EPSG data):
# datum -> (3° zone 25 prefixed, 3° CM 75E, 6° zone 13 prefixed, 6° CM 75E).
_GK_BASES = {
    "CGCS2000": (4513, 4534, 4491, 4502),
    "Beijing 1954": (2401, 2422, 21413, 21453),
    "Xian 1980": (2349, 2370, 2327, 2338),
}
_GEOGRAPHIC = {"CGCS2000": 4490, "Beijing 1954": 4214, "Xian 1980": 4610}
_OLD_DATUMS = {"Beijing 1954": "北京54", "Xian 1980": "西安80"}
_ZONES = {3: (25, 45), 6: (13, 23)}
_EASTING = (166_000.0, 834_000.0)  # half a 6° zone either side of x_0 = 500 000 m
_NORTHING = (0.0, 6_200_000.0)
_FIT = {True: ("best guess for this basin", "本流域最可能"), False: ("neighbouring zone", "相邻带")}


@dataclass(frozen=True)
class Candidate:
    """A CRS that a layer without one may be in, and why (English / Chinese)."""

    epsg: int
    name: str
    reason: str
    needs_transformation: bool = False
    """True for Beijing 1954 / Xian 1980: usable only with locally published parameters."""


def gk_epsg(zone: int, *, width: int = 3, prefixed: bool = True, datum: str = "CGCS2000") -> int:
    """EPSG code of a Chinese Gauss-Krüger grid.

    Parameters
    ----------
    zone : int
        Zone number: 25-45 for 3° zones (CM = 3·zone), 13-23 for 6° zones (CM = 6·zone − 3).
    width : {3, 6}
        Zone width in degrees.
    prefixed : bool
        True for the "zone N" grid whose false easting carries the zone number
        (x_0 = N·10⁶ + 500 000), False for the "CM xxxE" grid (x_0 = 500 000).
    datum : {"CGCS2000", "Beijing 1954", "Xian 1980"}

    Examples
    --------
    >>> gk_epsg(39), gk_epsg(39, prefixed=False), gk_epsg(20, width=6)
    (4527, 4548, 4498)
    """
    first, last = _ZONES.get(width, (0, -1))
    if datum not in _GK_BASES or not first <= zone <= last:
        raise CRSError(
            f"no {datum} {width}° Gauss-Krüger zone {zone}",
            hint="3° zones are 25-45, 6° zones 13-23; datums: " + ", ".join(_GK_BASES),
        )
    zone_base, cm_base, zone6_base, cm6_base = _GK_BASES[datum]
    if width == 3:
        return (zone_base if prefixed else cm_base) + zone - first
    return (zone6_base if prefixed else cm6_base) + zone - first


def utm_or_gk_zone_for_lon(lon: float) -> int:
    """3° Gauss-Krüger zone number of a longitude: zone N spans 3N − 1.5 .. 3N + 1.5 °E.

    >>> utm_or_gk_zone_for_lon(116.8)
    39
    """
    return math.floor(lon / 3.0 + 0.5)


def analysis_crs_for_bounds(lon_min: float, lon_max: float) -> str:
    """The CGCS2000 3° Gauss-Krüger "CM xxxE" CRS whose meridian is nearest the centre.

    Good for a basin inside one 3° zone (Miyun: CM 117E, EPSG:4548). A basin spanning
    several zones should set an equal-area analysis CRS in liuyu.toml instead, since
    Gauss-Krüger area distortion grows quickly outside its zone.

    >>> analysis_crs_for_bounds(115.4, 117.6)
    'EPSG:4548'
    """
    zone = utm_or_gk_zone_for_lon((lon_min + lon_max) / 2.0)
    if not 25 <= zone <= 45:
        raise CRSError(
            f"longitudes {lon_min}..{lon_max} are outside the Chinese Gauss-Krüger zones",
            hint="set analysis_crs in liuyu.toml to a projected CRS for the area",
        )
    return f"EPSG:{gk_epsg(zone, prefixed=False)}"


def _within(lo: float, hi: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= lo and hi <= bounds[1]


def _with_old_datums(epsg: int, reason: str, codes: dict[str, int]) -> list[Candidate]:
    """The CGCS2000 candidate, then its Beijing 1954 / Xian 1980 twins as notes."""
    out = [Candidate(epsg, pyproj.CRS.from_epsg(epsg).name, reason)]
    for datum, chinese in _OLD_DATUMS.items():
        why = (
            f"the same grid on {datum}: needs locally published transformation parameters "
            f"to CGCS2000 / {chinese}坐标系，需要当地发布的转换参数"
        )
        out.append(Candidate(codes[datum], pyproj.CRS.from_epsg(codes[datum]).name, why, True))
    return out


def _geographic_candidates(xmin: float, ymin: float, xmax: float, ymax: float) -> list[Candidate]:
    if not (_within(xmin, xmax, (73.0, 136.0)) and _within(ymin, ymax, (3.0, 54.0))):
        return []
    reason = (
        "longitude/latitude degrees inside China; may also be WGS-84 (same to decimetres) or "
        "GCJ-02/BD-09 if traced on Amap/Baidu / 经纬度坐标；也可能是WGS-84或GCJ-02/BD-09偏移坐标"
    )
    return _with_old_datums(4490, reason, _GEOGRAPHIC)


def _prefixed_candidates(xmin: float, ymin: float, xmax: float, ymax: float) -> list[Candidate]:
    zone = int(xmin // 1e6)
    if zone != int(xmax // 1e6) or not _within(ymin, ymax, _NORTHING):
        return []
    if not _within(xmin - zone * 1e6, xmax - zone * 1e6, _EASTING):
        return []
    for width, (first, last) in _ZONES.items():
        if first <= zone <= last:
            cm = 3 * zone if width == 3 else 6 * zone - 3
            reason = (
                f"{width}° Gauss-Krüger zone {zone} (CM {cm}°E), easting has the 8-digit "
                f"zone prefix / {width}度带第{zone}带，横坐标带带号"
            )
            codes = {d: gk_epsg(zone, width=width, datum=d) for d in _GK_BASES}
            return _with_old_datums(codes["CGCS2000"], reason, codes)
    return []


def _unprefixed_candidates(
    xmin: float, ymin: float, xmax: float, ymax: float, central_meridian: float
) -> list[Candidate]:
    if not (_within(xmin, xmax, _EASTING) and _within(ymin, ymax, _NORTHING)):
        return []
    best = utm_or_gk_zone_for_lon(central_meridian)
    zones = [z for z in (best, best - 1, best + 1) if 25 <= z <= 45]
    out: list[Candidate] = []
    for zone in zones:
        english, chinese = _FIT[zone == best]
        reason = (
            f"3° Gauss-Krüger CM {3 * zone}°E, easting without zone prefix ({english}) "
            f"/ 3度带中央经线{3 * zone}°，横坐标不带带号（{chinese}）"
        )
        codes = {d: gk_epsg(zone, prefixed=False, datum=d) for d in _GK_BASES}
        found = _with_old_datums(codes["CGCS2000"], reason, codes)
        out.extend(found if zone == best else found[:1])
    return out


def gk_zone_candidates(
    xmin: float, ymin: float, xmax: float, ymax: float, *, central_meridian: float = 117.0
) -> list[Candidate]:
    """Guess the CRS of a layer delivered without one, from its coordinate ranges.

    Survey offices deliver shapefiles without .prj in geographic degrees, 3° or 6°
    Gauss-Krüger with the zone number in front of the easting (8 digits, e.g. 39 5xx xxx),
    or without it (6 digits); each shape of numbers points at a few EPSG codes. The result
    feeds the ingest error message, so each reason is human-readable in English and Chinese.
    Beijing 1954 / Xian 1980 twins are listed as notes (``needs_transformation``). If
    nothing fits, the swapped axes (northing first) are tried.

    Parameters
    ----------
    xmin, ymin, xmax, ymax : float
        The layer's bounds as stored (x first).
    central_meridian : float
        The basin's central meridian, to rank unprefixed grids (default 117, Miyun).

    Returns
    -------
    list of Candidate
        Most plausible first; empty if nothing fits.

    Examples
    --------
    >>> gk_zone_candidates(39_520_000, 4_470_000, 39_560_000, 4_490_000)[0].epsg
    4527
    """
    bounds = (xmin, ymin, xmax, ymax)
    found = _candidates(bounds, central_meridian)
    if found:
        return found
    swapped = _candidates((ymin, xmin, ymax, xmax), central_meridian)
    prefix = "axes swapped (y holds x) / 坐标轴顺序颠倒: "
    return [Candidate(c.epsg, c.name, prefix + c.reason, c.needs_transformation) for c in swapped]


def _candidates(bounds: tuple[float, float, float, float], cm: float) -> list[Candidate]:
    found = (
        _geographic_candidates(*bounds) + _prefixed_candidates(*bounds) + _unprefixed_candidates(*bounds, cm)
    )
    return sorted(found, key=lambda c: c.needs_transformation)  # stable: notes go last
