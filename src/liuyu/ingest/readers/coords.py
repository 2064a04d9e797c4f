"""Coordinate columns of agency tables: which columns they are, and their values parsed (decimal or DMS)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
    "CoordColumns",
    "find_coordinate_columns",
    "normalise_name",
    "orient",
    "parse_coordinates",
    "unpack_dms_numbers",
]

Axis = Literal["lon", "lat"] | None

# Column names as agencies write them, normalised by normalise_name (NFKC, lower case, no
# blanks or separators). X/Y are ambiguous: Chinese surveying calls the northing X.
_PAIRS: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = (
    (
        "lonlat",
        frozenset({"lon", "lng", "long", "longitude", "经度", "东经", "lgtd", "jd", "经度坐标", "经度e"}),
        frozenset({"lat", "latitude", "纬度", "北纬", "lttd", "wd", "纬度坐标", "纬度n"}),
    ),
    (
        "eastnorth",
        frozenset({"东坐标", "east", "easting", "e", "东", "东向坐标", "y东"}),
        frozenset({"北坐标", "north", "northing", "n", "北", "北向坐标", "x北"}),
    ),
    (
        "xy",
        frozenset({"x", "x坐标", "坐标x", "pointx", "xcoord", "横坐标", "xzb"}),
        frozenset({"y", "y坐标", "坐标y", "pointy", "ycoord", "纵坐标", "yzb"}),
    ),
)
_SEPARATORS = re.compile(r"[\s_\-.·:：/\\]+")
_UNIT_TAIL = re.compile(r"[(\[（【][^()\[\]（）【】]*[)\]）】]$")


def normalise_name(text: Any) -> str:
    """Compare header names loosely: full-width → half-width, lower case, no separators, no unit.

    >>> normalise_name("  经度（°） "), normalise_name("ＰＯＩＮＴ_Ｘ")
    ('经度', 'pointx')
    """
    name = unicodedata.normalize("NFKC", str(text)).strip().lower()
    name = _UNIT_TAIL.sub("", name)
    return _SEPARATORS.sub("", name)


@dataclass(frozen=True)
class CoordColumns:
    """Positions of the x (longitude/easting) and y columns in a header, and what they are."""

    x: int
    y: int
    kind: Literal["lonlat", "eastnorth", "xy"]


def find_coordinate_columns(names: Sequence[Any]) -> CoordColumns | None:
    """The first coordinate pair found (lon/lat before east/north before X/Y), or None."""
    keys = [normalise_name(n) if n is not None else "" for n in names]
    for kind, xs, ys in _PAIRS:
        x = next((i for i, k in enumerate(keys) if k in xs), None)
        y = next((i for i, k in enumerate(keys) if k in ys), None)
        if x is not None and y is not None:
            return CoordColumns(x, y, kind)  # type: ignore[arg-type]
    return None


_HEMI = r"(?:东经|西经|南纬|北纬|[NSEWnsew东西南北])"
_NUM = r"\d+(?:\.\d+)?"
_DMS = re.compile(
    rf"^(?P<h1>{_HEMI})?\s*(?P<sign>[-+])?\s*(?P<deg>{_NUM})\s*"
    rf"(?:°\s*(?:(?P<min>{_NUM})\s*′?\s*(?:(?P<sec>{_NUM})\s*″?)?)?"
    rf"|[:\s]\s*(?P<min2>{_NUM})(?:\s*[:\s]\s*(?P<sec2>{_NUM}))?)?"
    rf"\s*(?P<h2>{_HEMI})?$"
)
_NEGATIVE = {"s", "w", "西", "南", "西经", "南纬"}
_LAT_HEMI = {"n", "s", "北", "南", "北纬", "南纬"}
_LON_HEMI = {"e", "w", "东", "西", "东经", "西经"}
_BAD = "cannot read {!r} as a coordinate (decimal degrees, DMS such as 116°50′30″, or metres)"


def _marks(text: pd.Series) -> pd.Series:
    """Unify degree/minute/second marks and digits: ″ " 秒 → ″, ′ ' 分 → ′, ° º 度 → °."""
    text = text.str.replace(r"[º˚]", "°", regex=True).str.normalize("NFKC").str.strip()
    text = text.str.replace(r"′′|''|″|”|“|\"|秒", "″", regex=True)
    return text.str.replace(r"[′'’‘]|分", "′", regex=True).str.replace("度", "°")


def parse_coordinates(values: Sequence[Any] | pd.Series, axis: Axis = None) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of coordinates, vectorized; return (values, reasons).

    Numbers and numeric text pass straight through; other text is read as degrees-minutes-
    seconds in the spellings agencies use (``116°50′30″``, ``116°50'30.5"E``, ``东经116度50分
    30秒``, ``116:50:30``, full-width digits). ``reasons`` holds None for good cells and a
    sentence for each blank or unreadable one, whose value is NaN.

    Examples
    --------
    >>> vals, why = parse_coordinates(["116°50′30″", "116度50分30秒", "１１６.５", "abc"], "lon")
    >>> [round(float(v), 6) for v in vals[:3]], why[3] is not None
    ([116.841667, 116.841667, 116.5], True)
    """
    s = pd.Series(list(values) if not isinstance(values, pd.Series) else values.to_numpy(), dtype=object)
    out = np.array(pd.to_numeric(s, errors="coerce"), dtype=np.float64)
    reasons = np.full(len(s), None, dtype=object)
    text = s.astype(str).str.strip()
    blank = s.isna().to_numpy() | (text == "").to_numpy() | text.isin(["nan", "None", "NaN"]).to_numpy()
    reasons[blank] = "the coordinate is missing"
    todo = np.isnan(out) & ~blank
    if todo.any():
        values_, why = _parse_dms(text[todo], axis)
        out[todo] = values_
        reasons[todo] = why
    return out, reasons


def _parse_dms(text: pd.Series, axis: Axis) -> tuple[np.ndarray, np.ndarray]:
    parts = _marks(text).str.extract(_DMS)
    deg = np.array(pd.to_numeric(parts["deg"]), dtype=np.float64)
    mnt = np.array(pd.to_numeric(parts["min"].fillna(parts["min2"])), dtype=np.float64)
    sec = np.array(pd.to_numeric(parts["sec"].fillna(parts["sec2"])), dtype=np.float64)
    h1, h2 = parts["h1"].fillna("").str.lower(), parts["h2"].fillna("").str.lower()
    hemi = np.array(h1 + h2, dtype=object)
    value = deg + np.nan_to_num(mnt) / 60.0 + np.nan_to_num(sec) / 3600.0
    negative = np.isin(hemi, list(_NEGATIVE)) | (parts["sign"] == "-").to_numpy()
    value = np.where(negative, -value, value)
    why = np.full(len(text), None, dtype=object)
    raw = np.array(text, dtype=object)
    checks = [
        (np.isnan(deg), _BAD),
        ((h1 != "").to_numpy() & (h2 != "").to_numpy(), "{!r}: hemisphere given twice"),
        (np.nan_to_num(mnt) >= 60, "{!r}: minutes must be below 60"),
        (np.nan_to_num(sec) >= 60, "{!r}: seconds must be below 60"),
        (~np.isnan(mnt) & (deg % 1 != 0), "{!r}: degrees with decimals cannot be followed by minutes"),
    ]
    if axis is not None:
        wrong = _LAT_HEMI if axis == "lon" else _LON_HEMI
        checks.append((np.isin(hemi, list(wrong)), f"{{!r}}: a {'N/S' if axis == 'lon' else 'E/W'} "
                       f"hemisphere in a {'longitude' if axis == 'lon' else 'latitude'} column"))  # fmt: skip
    for mask, message in reversed(checks):  # the first check that fails gives the reason
        for i in np.flatnonzero(mask):
            why[i] = message.format(raw[i])
    value[pd.notna(why)] = np.nan
    return value, why


def unpack_dms_numbers(values: np.ndarray, limit: float) -> np.ndarray | None:
    """Read a column of packed DDDMMSS(.ss) numbers (1165030.5 = 116°50′30.5″) as degrees.

    Some hydrological databases store LGTD/LTTD so. Used only when every value is at least
    10000 (far beyond any degree value) and all unpack to valid DMS within ``limit`` (180
    for longitude, 90 for latitude); otherwise None.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0 or np.any(np.abs(finite) < 10_000):  # 1°00′00″ packs to 10000
        return None
    a = np.abs(values)
    deg, rest = np.floor(a / 10000.0), a % 10000.0
    mnt, sec = np.floor(rest / 100.0), rest % 100.0
    ok = np.isnan(values) | ((mnt < 60) & (sec < 60) & (deg <= limit))
    if not ok.all():
        return None
    return np.sign(values) * (deg + mnt / 60.0 + sec / 3600.0)


def orient(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Swap the axes when the numbers say x holds y (lat/lon order, or survey X = northing).

    China's longitudes (73-136) and latitudes (3-54) do not overlap; 8-digit zone-prefixed
    eastings (≥ 10⁷) and 7-digit northings (> 10⁶) are told from 6-digit eastings the same way.
    """
    if not (np.isfinite(x).any() and np.isfinite(y).any()):
        return x, y, None
    mx, my = float(np.nanmedian(x)), float(np.nanmedian(y))
    if abs(mx) <= 180 and abs(my) <= 180:
        if 3 <= mx <= 54 and 73 <= my <= 136:
            return y, x, "the longitude and latitude columns hold each other's values: swapped"
        return x, y, None
    if (my >= 1e7 > mx) or (mx < 1e7 and my < 1e7 and mx > 1e6 > my):
        return y, x, "X holds northings and Y eastings (Chinese survey convention, X = north): swapped"
    return x, y, None
