"""Dates and times as Chinese lab sheets and loggers write them, read as local time and stored in UTC."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

_DATE = re.compile(
    r"^\s*(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[T\s]*(?P<H>\d{1,2})\s*[:时]\s*(?:(?P<M>\d{1,2})\s*(?:[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?)?)?"
    r"\s*[分秒]?\s*$"
)
_CLOCK = re.compile(r"(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})?(?:\s*[:分]\s*(?P<S>\d{1,2}))?")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIALS = (20000, 80000)  # Excel serial days read as dates; other numbers (2024, 0.5) are not dates


def to_utc(date: pd.Series, time: pd.Series | None = None, *, tz: str = "Asia/Shanghai") -> pd.Series:
    """Local dates (and times) as delivered → UTC timestamps; NaT where a cell cannot be read.

    Reads ``2024-08-05``, ``2024/8/5 10:30``, ``2024年8月5日 10时30分``, datetime objects,
    Excel serial numbers (45509.4375; only 20000-80000, i.e. 1954-2119, so that a stray
    2024 is not a date) and yyyymmdd numbers; full-width digits are folded by NFKC.
    ``time`` (``10:30``, a time object, an Excel day fraction or serial) replaces the time
    of day of ``date`` where given. A date without a time is local midnight; a time-zone
    aware column is converted as it is.

    >>> to_utc(pd.Series(["2024年8月5日", "2024/8/5 10:30", 45509.5])).dt.strftime("%m-%d %H:%M").tolist()
    ['08-04 16:00', '08-05 02:30', '08-05 04:00']
    """
    if isinstance(date.dtype, pd.DatetimeTZDtype) and time is None:
        return date.dt.tz_convert("UTC")  # already explicit: tz is not applied
    local = on_uniques(_local_date, date)
    if time is not None:
        clock = on_uniques(_clock, time)
        local = (local.dt.normalize() + clock).where(clock.notna() | blank(time), pd.NaT)
        local = local.fillna(on_uniques(_local_date, date).where(blank(time)))
    aware = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return aware.dt.tz_convert("UTC")


def on_uniques(parse: Callable[[pd.Series], pd.Series], values: pd.Series) -> pd.Series:
    """``parse`` applied once per distinct cell (a sheet repeats dates, stations and names)."""
    codes, uniques = pd.factorize(values.astype(object))
    if len(uniques) == 0:
        return parse(values)
    out = parse(pd.Series(uniques, dtype=object)).take(np.maximum(codes, 0)).where(codes >= 0)
    return out.set_axis(values.index)


def _local_date(values: pd.Series) -> pd.Series:
    number = pd.to_numeric(values, errors="coerce")
    ymd = number.where((number >= 19000101) & (number <= 21001231) & (number % 1 == 0))
    serial = number.where((number >= _SERIALS[0]) & (number < _SERIALS[1]))  # 1954-10-03 .. 2119-01-10
    from_serial = _EXCEL_EPOCH + pd.to_timedelta(serial, unit="D").dt.round("s")
    from_ymd = pd.to_datetime(ymd.astype("Int64").astype("string"), format="%Y%m%d", errors="coerce")
    p = values.astype("string").str.normalize("NFKC").str.extract(_DATE)
    two = {c: p[c].fillna("0").str.zfill(2) for c in ("m", "d", "H", "M", "S")}
    text = p["y"] + "-" + two["m"] + "-" + two["d"] + " " + two["H"] + ":" + two["M"] + ":" + two["S"]
    from_text = pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    return from_text.where(number.isna(), from_serial.fillna(from_ymd))


def _clock(values: pd.Series) -> pd.Series:
    """Time of day as a Timedelta: ``10:30``, ``10时30分``, time objects, Excel day fractions."""
    number = pd.to_numeric(values, errors="coerce")
    fraction = pd.to_timedelta((number % 1).where(number >= 0), unit="D").dt.round("s")
    parts = values.astype("string").str.normalize("NFKC").str.extract(_CLOCK)
    h, m, s = (pd.to_numeric(parts[c], errors="coerce") for c in ("H", "M", "S"))
    ok = (h < 24) & (m.fillna(0) < 60) & (s.fillna(0) < 60)
    seconds = (h * 3600 + m.fillna(0) * 60 + s.fillna(0)).where(ok)
    return fraction.where(number.notna(), pd.to_timedelta(seconds, unit="s"))


def blank(values: pd.DataFrame | pd.Series) -> Any:
    """True for missing cells and cells of only spaces (a Series or a DataFrame of booleans)."""
    if isinstance(values, pd.DataFrame):
        return values.apply(blank)
    return (values.isna() | values.astype("string").str.strip().eq("")).fillna(True).astype(bool)
