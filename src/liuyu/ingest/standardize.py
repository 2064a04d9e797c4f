"""Bring a delivery's attributes to its category's schema, value by value, losing nothing.

The rule for a value that does not fit its field (a word in a number column, a date that is
no date, a code not in the code list):

- in a **required** field the row is quarantined, naming the field and the value;
- in an **optional** field the value is set to null, a warning names the row, field and
  value, and the original value is kept in the row's ``extra`` JSON under its source column.

An empty required field quarantines the row. Columns that match no field are kept in
``extra`` and listed in the report. Code lists accept their codes, their Chinese or English
names (水田 -> 0101), and codes whose leading zeros a spreadsheet ate (101 -> 0101).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.catalog import Category, CodeList, Field, load_codelists
from liuyu.ingest.headers import FieldMatch, match_columns, norm, require_fields
from liuyu.ingest.problems import ProblemLog

_TRUE = {"true", "t", "yes", "y", "1", "是", "有", "√", "✓", "对"}
_FALSE = {"false", "f", "no", "n", "0", "否", "无", "×", "✗", "错"}
_DATE_SEP = re.compile(r"[年月/.]")


@dataclass
class Standardized:
    """The delivery in the category's schema: field columns, ``extra`` JSON and the geometry."""

    frame: gpd.GeoDataFrame
    matches: list[FieldMatch]
    unmapped: list[str]
    codelist_names: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> name -> code


def standardize(
    frame: gpd.GeoDataFrame,
    category: Category,
    log: ProblemLog,
    *,
    field_map: dict[str, str] | None = None,
    units: dict[str, str] | None = None,
) -> Standardized:
    """Map, convert and type every column; bad values go to ``log`` as the module rule says.

    ``units`` are units readers found in headers, by source column (``{"面积": "亩"}``).
    """
    columns = [c for c in frame.columns if c != frame.geometry.name]
    matches, unmapped = match_columns(columns, category, log, field_map, units)
    require_fields(category, matches, columns)
    by_field = {m.field: m for m in matches}
    out: dict[str, Any] = {}
    nulled: dict[str, np.ndarray] = {}
    names: dict[str, dict[str, str]] = {}
    n = len(frame)
    for f in category.fields:
        m = by_field.get(f.name)
        if m is None:
            out[f.name] = pd.Series(np.full(n, None, dtype=object))
            continue
        raw = frame[m.source].reset_index(drop=True)
        values, bad, converted = coerce_column(raw, f, m.factor)
        names.update({f.name: converted} if converted else {})
        _judge(raw, values, bad, f, m, log, nulled)
        out[f.name] = values
    result = pd.DataFrame(out)
    result["extra"] = pack_extra(frame.reset_index(drop=True), unmapped, nulled)
    geo = gpd.GeoDataFrame(result, geometry=frame.geometry.reset_index(drop=True).values, crs=frame.crs)
    return Standardized(geo, matches, unmapped, names)


def _judge(
    raw: pd.Series,
    values: pd.Series,
    bad: np.ndarray,
    f: Field,
    m: FieldMatch,
    log: ProblemLog,
    nulled: dict[str, np.ndarray],
) -> None:
    """Record bad and missing values by the module's rule (quarantine if required, else null)."""
    reason = "not_in_codelist" if f.codelist else "bad_value"
    pos = np.flatnonzero(bad)
    if f.required:
        log.add(pos, reason, field=f.name, value=raw.to_numpy(dtype=object)[pos], detail=f"column {m.source}")
        missing = np.flatnonzero(values.isna().to_numpy() & ~bad)
        log.add(missing, "missing_required", field=f.name, detail=f"column {m.source}")
    elif len(pos):
        log.add(
            pos,
            "nulled_value",
            severity="warning",
            field=f.name,
            value=raw.to_numpy(dtype=object)[pos],
            detail=f"column {m.source}: {reason}",
        )
        values.iloc[pos] = None
        nulled[m.source] = bad


def coerce_column(
    raw: pd.Series, f: Field, factor: float = 1.0
) -> tuple[pd.Series, np.ndarray, dict[str, str]]:
    """One column to its field type; returns values, a mask of unconvertible values, name->code used."""
    present = _present(raw)
    if f.type in ("float", "integer"):
        values, bad = _numbers(raw, present, factor, integer=f.type == "integer")
    elif f.type == "boolean":
        values, bad = _booleans(raw, present)
    elif f.type in ("date", "datetime"):
        values, bad = _dates(raw, present, f.type)
    else:
        values, bad = _strings(raw, present), np.zeros(len(raw), dtype=bool)
    converted: dict[str, str] = {}
    if f.codelist is not None:
        values, bad, converted = _codes(values, load_codelists()[f.codelist])
    return values, bad, converted


def _present(raw: pd.Series) -> np.ndarray:
    """Values that are there: not null and, for text, not blank."""
    present = np.array(raw.notna(), dtype=bool)
    if _is_text(raw):
        blank = raw[present].astype(str).str.strip() == ""
        present[np.flatnonzero(present)[blank.to_numpy()]] = False
    return present


def _is_text(raw: pd.Series) -> bool:
    """Object or string dtype (pandas 3 reads text as ``str``, not ``object``)."""
    return raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype)


def _clean_text(raw: pd.Series) -> pd.Series:
    """Text as parsers want it: NFKC (full-width digits become ASCII), trimmed, no thousands commas."""
    return raw.astype(str).str.normalize("NFKC").str.strip().str.replace(",", "", regex=False)


def _numbers(
    raw: pd.Series, present: np.ndarray, factor: float, *, integer: bool
) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(raw.dtype) or not pd.api.types.is_numeric_dtype(raw.dtype):
        parsed = pd.Series(np.full(len(raw), np.nan))
        idx = np.flatnonzero(present)
        parsed.iloc[idx] = pd.to_numeric(_clean_text(raw.iloc[idx]), errors="coerce").to_numpy(dtype=float)
    else:
        parsed = pd.Series(raw.to_numpy(dtype=np.float64, na_value=np.nan))
    nums = parsed.to_numpy(dtype=np.float64) * factor
    bad = present & ~np.isfinite(nums)
    if integer:
        whole = np.isclose(nums, np.round(nums), rtol=0, atol=1e-9)
        bad |= present & np.isfinite(nums) & ~whole
        nums = np.where(bad | ~present, np.nan, np.round(nums))
        return pd.Series(nums).astype("Int64"), bad
    return pd.Series(np.where(bad | ~present, np.nan, nums)), bad


def _strings(raw: pd.Series, present: np.ndarray) -> pd.Series:
    """Text; numbers a spreadsheet typed as floats (110118.0) come back as whole numbers."""
    out = np.full(len(raw), None, dtype=object)
    if pd.api.types.is_float_dtype(raw.dtype):
        vals = raw.to_numpy(dtype=np.float64)
        whole = present & np.isfinite(vals) & (vals == np.round(vals))
        out[whole] = vals[whole].astype(np.int64).astype(str)
        rest = present & ~whole
        out[rest] = vals[rest].astype(str)
    elif _is_text(raw):
        sub = raw[present]
        out[present] = sub.astype(str).str.strip().to_numpy(dtype=object)
    else:
        out[present] = raw[present].astype(str).to_numpy(dtype=object)
    return pd.Series(out, dtype=object)


def _booleans(raw: pd.Series, present: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), np.zeros(len(raw), dtype=bool)
    keys = raw.astype(str).map(norm).to_numpy(dtype=object)
    is_true = np.isin(keys, list(_TRUE)) & present
    is_false = np.isin(keys, list(_FALSE)) & present
    bad = present & ~is_true & ~is_false
    out = pd.array(np.where(is_true, True, False), dtype="boolean")
    out[~(is_true | is_false)] = pd.NA
    return pd.Series(out), bad


def _dates(raw: pd.Series, present: np.ndarray, kind: str) -> tuple[pd.Series, np.ndarray]:
    """ISO text; also accepts 2023年5月1日, 2023/5/1, 2023.5.1 and spreadsheet dates."""
    utc = kind == "datetime"
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        parsed = pd.to_datetime(raw, utc=utc)
    else:
        text = _clean_text(raw).str.replace(_DATE_SEP, "-", regex=True).str.replace("日", "", regex=False)
        text = text.str.rstrip("-").where(present, None)
        parsed = pd.to_datetime(text, errors="coerce", utc=utc, format="mixed")
    bad = present & parsed.isna().to_numpy()
    fmt = "%Y-%m-%d" if kind == "date" else "%Y-%m-%dT%H:%M:%SZ"
    out = parsed.dt.strftime(fmt).astype(object)
    return out.where(parsed.notna(), None).reset_index(drop=True), bad


def _codes(values: pd.Series, codelist: CodeList) -> tuple[pd.Series, np.ndarray, dict[str, str]]:
    """Keep known codes, turn names and zero-stripped codes into codes, flag the rest.

    Only the distinct unknown values are resolved, so a million parcels with seven classes
    cost seven look-ups.
    """
    codes = list(codelist.values)
    known = values.isin(codes).to_numpy() | values.isna().to_numpy()
    if known.all():
        return values, np.zeros(len(values), dtype=bool), {}
    names = {norm(k): k for k in codes}
    for code, (zh, en) in codelist.values.items():
        names.setdefault(norm(zh), code)
        names.setdefault(norm(en), code)
    resolved: dict[str, str] = {}
    for v in pd.unique(values[~known]):
        found = names.get(norm(v)) or _zero_padded(str(v), codes)
        if found is not None:
            resolved[v] = found
    unknown = values[~known]
    mapped = unknown.map(resolved)
    out = values.copy()
    out[~known] = mapped.where(mapped.notna(), unknown)
    bad = np.zeros(len(values), dtype=bool)
    bad[np.flatnonzero(~known)] = mapped.isna().to_numpy()
    return out, bad, {k: v for k, v in resolved.items() if k != v}


def _zero_padded(value: str, codes: list[str]) -> str | None:
    """'101' -> '0101' when that is a code (a spreadsheet dropped the leading zero)."""
    text = norm(value)
    if not text.isdigit():
        return None
    for width in sorted({len(c) for c in codes}):
        if width > len(text) and text.zfill(width) in codes:
            return text.zfill(width)
    return None


def pack_extra(frame: pd.DataFrame, unmapped: list[str], nulled: dict[str, np.ndarray]) -> pd.Series:
    """One JSON object per row: the unmapped columns, then the originals of nulled values.

    Built column by column (one ``json.dumps`` per value, joined with numpy) rather than one
    dict per row, so a million rows with a few extra columns cost about a second. Rows with
    nothing extra get null. Keys keep the source's own column names and order.
    """
    n = len(frame)
    acc = np.full(n, "", dtype=object)
    has = np.zeros(n, dtype=bool)
    pieces = [(c, np.ones(n, dtype=bool)) for c in unmapped] + list(nulled.items())
    for column, rows in pieces:
        if not rows.any():
            continue
        key = json.dumps(str(column), ensure_ascii=False) + ": "
        values = frame[column].to_numpy(dtype=object)[rows]
        encoded = np.array([json_value(v) for v in values], dtype=object)
        sep = np.where(has[rows], ", ", "").astype(object)
        acc[rows] = acc[rows] + sep + key + encoded
        has |= rows
    out = np.full(n, None, dtype=object)
    out[has] = "{" + acc[has] + "}"
    return pd.Series(out, dtype=object)


def json_value(value: Any) -> str:
    """One JSON value; missing and non-finite numbers become null."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, float) and not np.isfinite(value):
        return "null"
    if isinstance(value, str | int | float | bool):
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)
