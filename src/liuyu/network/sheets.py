"""Lab sheets (long tables and wide one-row-per-sample sheets) → long observation frames."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from liuyu.errors import SchemaError
from liuyu.ingest.readers.header import HEADER_SEARCH_ROWS, is_unit, split_unit
from liuyu.network.properties import alias_key, code_for_alias
from liuyu.network.times import blank, on_uniques, to_utc
from liuyu.network.units import normalize_units

__all__ = [
    "OBSERVATION_COLUMNS",
    "PROBLEM_COLUMNS",
    "grid_frame",
    "long_table",
    "match_property",
    "to_utc",
    "wide_sheet",
]

OBSERVATION_COLUMNS = [
    "station_code",
    "property_code",
    "phenomenon_time",
    "raw",
    "unit",
    "source_row",
    "station_name",
    "column",
]
PROBLEM_COLUMNS = ["source_row", "field", "value", "reason"]

# Column aliases per role, "|"-separated; compared by _key (spaces, brackets, case ignored).
_ROLES = {
    "station_code": "站码|测站编码|站点编码|断面编码|点位编码|站点代码|断面代码|测站代码|编码|代码"
    "|station code|stcd|code",
    "station_name": "站名|测站名称|站点名称|断面名称|点位名称|监测点位|断面|点位|站点|测站"
    "|station|station name|name|site",
    "date": "采样日期|监测日期|检测日期|日期|date|sampling date|sample date",
    "datetime": "采样时间|监测时间|检测时间|时间|日期时间|采样日期时间"
    "|datetime|time|sampling time|phenomenon time",
    "property": "项目|监测项目|分析项目|检测项目|指标|监测指标|参数|因子|监测因子"
    "|property|parameter|determinand|analyte",
    "value": "值|数值|监测值|测定值|结果|监测结果|检测结果|浓度|value|result|concentration",
    "unit": "单位|计量单位|unit|units",
}
_TRAILING_BRACKET = re.compile(r"^(?P<name>.+?)\s*[(\[（【](?P<unit>[^()\[\]（）【】]+)[)\]）】]\s*$")


@cache
def _role_index() -> dict[str, str]:
    return {alias_key(alias): role for role, aliases in _ROLES.items() for alias in aliases.split("|")}


def _split(text: str) -> tuple[str, str | None]:
    """``高锰酸盐指数(mg/L)`` → name and unit; a bracket is a unit if it reads like one."""
    name, unit = split_unit(text)
    m = _TRAILING_BRACKET.match(text) if unit is None else None
    if m and normalize_units(pd.Series([m["unit"]])).notna().iloc[0]:
        return m["name"], m["unit"].strip()
    return name, unit


def match_property(header: str) -> tuple[str | None, str | None]:
    """The property code and unit a column header names, by alias from properties.toml.

    >>> match_property("高锰酸盐指数（mg/L）"), match_property("NH₃-N"), match_property("备注")
    (('codmn', 'mg/L'), ('nh3n', None), (None, None))
    """
    name, unit = _split(str(header))
    return code_for_alias(name) or code_for_alias(str(header)), unit


def _unit_like(value: Any) -> bool:
    text = unicodedata.normalize("NFKC", str(value)).strip().strip("()[]（）【】")
    return is_unit(text) or bool(normalize_units(pd.Series([text])).notna().iloc[0] and text)


def _flatten(columns: pd.Index) -> tuple[list[str], dict[str, str]]:
    """Column names and header units; MultiIndex levels (group header, name, units row) joined."""
    names: list[str] = []
    units: dict[str, str] = {}
    for col in columns:
        parts = [str(p).strip() for p in (col if isinstance(col, tuple) else (col,))]
        parts = [p for p in parts if p and p.lower() != "nan" and not p.startswith("Unnamed:")]
        # "pH" reads as a unit too: a last level naming a property is the name, not its unit
        last_is_unit = len(parts) > 1 and _unit_like(parts[-1]) and match_property(parts[-1])[0] is None
        unit = parts.pop() if last_is_unit else None
        name = parts[-1] if parts else f"column_{len(names) + 1}"
        name = name if name not in names else f"{'_'.join(parts)}_{len(names) + 1}"
        names.append(name)
        if unit:
            units[name] = unit.strip("()[]（）【】 ")
    return names, units


def _roles(names: Iterable[str]) -> dict[str, str]:
    """Role (station_code, date, ...) → the first column that plays it."""
    found: dict[str, str] = {}
    index = _role_index()
    for name in names:
        role = index.get(alias_key(_split(name)[0])) or index.get(alias_key(name))
        if role and role not in found:
            found[role] = name
    return found


def _source_rows(frame: pd.DataFrame, rows: Sequence[int] | None) -> np.ndarray:
    if rows is None:
        return np.arange(2, len(frame) + 2, dtype=np.int64)  # the header is row 1
    if len(rows) != len(frame):
        raise SchemaError(f"rows has {len(rows)} numbers for {len(frame)} rows", hint="pass one per row")
    return np.asarray(rows, dtype=np.int64)


def _require(roles: Mapping[str, str], needed: Sequence[str], names: Sequence[str], what: str) -> None:
    missing = [r for r in needed if r not in roles]
    if missing:
        hints = "; ".join(f"{r}: {', '.join(_ROLES[r].split('|')[:4])}" for r in missing)
        raise SchemaError(
            f"{what}: no column for {', '.join(missing)} among {list(names)}",
            hint=f"name the column(s) like {hints}",
        )


def _ids(frame: pd.DataFrame, roles: Mapping[str, str], tz: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Station code/name and UTC time per row; ``why`` (reason, '' if fine) and ``field`` per row."""
    date_col = roles.get("date", roles.get("datetime"))
    time_col = roles.get("datetime") if "date" in roles else None
    assert date_col is not None
    time = to_utc(frame[date_col], frame[time_col] if time_col else None, tz=tz)
    code = frame[roles["station_code"]] if "station_code" in roles else _nothing(frame)
    name = frame[roles["station_name"]] if "station_name" in roles else _nothing(frame)
    ids = pd.DataFrame({"station_code": _text(code), "station_name": _text(name), "phenomenon_time": time})
    no_station = ids["station_code"].isna() & ids["station_name"].isna()
    when = date_col if time_col is None else f"{date_col}/{time_col}"
    why = pd.Series("", index=frame.index, dtype=object)
    why = why.mask(time.isna(), f"unreadable {when}: expected a date like 2024-08-05, 2024年8月5日 or 45509")
    why = why.mask(no_station, (why + "; ").str.lstrip("; ") + "no station code or name")
    station_col = roles.get("station_code", roles.get("station_name"))
    field = pd.Series(date_col, index=frame.index, dtype=object).mask(no_station & time.notna(), station_col)
    return ids, pd.DataFrame({"why": why, "field": field})


def _nothing(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(None, index=frame.index, dtype=object)


def _text(values: pd.Series) -> pd.Series:
    """Cells as NFKC text, stripped; blanks become None."""
    return on_uniques(_text_of, values).astype(object).where(lambda t: t.notna(), None)


def _text_of(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.normalize("NFKC").str.strip()
    return text.mask(text == "").astype(object).where(lambda s: s.notna(), None)


def _row_problems(frame: pd.DataFrame, bad: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """One problem per rejected row, naming the column at fault and its cell as delivered."""
    mask = bad["why"].ne("").to_numpy()
    fields = bad["field"][mask]
    value = pd.Series(None, index=fields.index, dtype=object)
    for name in fields.dropna().unique():
        at = fields.index[fields == name]
        value.loc[at] = _text(frame.loc[at, name])
    return pd.DataFrame(
        {
            "source_row": rows[mask],
            "field": fields.to_numpy(),
            "value": value.to_numpy(),
            "reason": bad["why"][mask],
        },
        columns=PROBLEM_COLUMNS,
    ).reset_index(drop=True)


def _raw_text(values: np.ndarray) -> np.ndarray:
    """Cells as text for values.parse_values (2.1 → "2.1"); a missing cell stays None."""
    cells = pd.Series(values, dtype=object)
    text = cells.astype(str).to_numpy(object)
    text[cells.isna().to_numpy()] = None
    return text


def long_table(
    frame: pd.DataFrame, *, rows: Sequence[int] | None = None, tz: str = "Asia/Shanghai"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read a long table (station, property, time, value[, unit]) with Chinese or English headers.

    Columns are found by alias (``站码``/``station_code``, ``断面名称``, ``采样日期`` +
    ``采样时间``, ``项目``/``parameter``, ``监测值``/``value``, ``单位``). Every non-blank row
    becomes one observation or one problem (unknown property, unreadable time, no station).
    A unit in the value header (``浓度(mg/L)``) applies where the unit column is blank.

    Parameters
    ----------
    frame : DataFrame
        The table as delivered (one header row; cells as text or Excel types).
    rows : sequence of int, optional
        Row numbers the agency sees, one per frame row; default: 2, 3, ... (header is row 1).
    tz : str
        Time zone of the delivered times.

    Returns
    -------
    (observations, problems) : tuple of DataFrame
    """
    names, header_units = _flatten(frame.columns)
    frame = frame.set_axis(names, axis=1)
    numbers = _source_rows(frame, rows)
    keep = ~blank(frame).all(axis=1).to_numpy()
    frame, numbers = frame.loc[keep], numbers[keep]
    roles = _roles(names)
    _require(roles, ["property", "value"], names, "long table")
    _require({"date": "", **roles} if "datetime" in roles else roles, ["date"], names, "long table")
    ids, bad = _ids(frame, roles, tz)
    prop_text = _text(frame[roles["property"]])
    lookup = {t: match_property(t) for t in prop_text.dropna().unique()}  # few names, many rows
    code = prop_text.map({t: c for t, (c, _) in lookup.items()}).astype(object)
    named_unit = prop_text.map({t: u for t, (_, u) in lookup.items()}).astype(object)
    unit = _text(frame[roles["unit"]]) if "unit" in roles else _nothing(frame)
    default = header_units.get(roles["value"]) or _split(roles["value"])[1]
    unit = unit.where(unit.notna(), named_unit).where(lambda u: u.notna(), default)
    unknown = code.isna() & bad["why"].eq("")
    bad.loc[unknown, "why"] = (
        "observed property " + prop_text[unknown].fillna("(blank)") + " not in properties.toml"
    )
    bad.loc[unknown, "field"] = roles["property"]
    ok = bad["why"].eq("").to_numpy()
    obs = ids.loc[ok].assign(
        property_code=code[ok],
        raw=_raw_text(frame.loc[ok, roles["value"]].to_numpy(object)),
        unit=unit[ok],
        source_row=numbers[ok],
        column=roles["value"],
    )
    problems = _row_problems(frame, bad, numbers).astype({"source_row": "Int64"})
    return obs[OBSERVATION_COLUMNS].reset_index(drop=True), problems


def wide_sheet(
    frame: pd.DataFrame,
    *,
    header_units: Mapping[Hashable, str] | None = None,
    rows: Sequence[int] | None = None,
    tz: str = "Asia/Shanghai",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Melt a wide lab sheet (one row per sample, one column per parameter) to long form.

    Parameter columns are matched to properties by alias (NFKC, case folded, spaces and
    brackets ignored). Units come from ``header_units`` (column → unit, e.g. a reader's
    ``Delivery.units``), else a units row right below the header, else a unit in the header
    (``高锰酸盐指数(mg/L)``); MultiIndex headers (merged group rows, units as last level)
    are flattened. Columns that are neither an id column nor a property are reported once
    (``source_row`` empty), never silently dropped.

    Every sample row with a value gives observations (one per non-blank parameter cell) or
    one problem (unreadable time, no station); blank cells are not observations.

    Parameters
    ----------
    frame : DataFrame
        The sheet as delivered, header as columns.
    header_units : Mapping, optional
        Unit per column, overriding the header.
    rows : sequence of int, optional
        Row numbers the agency sees, one per frame row; default: 2, 3, ... (header is row 1).
    tz : str
        Time zone of the delivered times.

    Returns
    -------
    (observations, problems) : tuple of DataFrame
    """
    names, units = _flatten(frame.columns)
    units.update(
        {n: u for n, c in zip(names, frame.columns, strict=True) if (u := (header_units or {}).get(c))}
    )
    frame = frame.set_axis(names, axis=1)
    numbers = _source_rows(frame, rows)
    roles = _roles(names)
    _require({"date": "", **roles} if "datetime" in roles else roles, ["date"], names, "wide sheet")
    id_cols = set(roles.values())
    props = {n: match_property(n) for n in names if n not in id_cols}
    params = [n for n, (code, _) in props.items() if code]
    if not params:
        raise SchemaError(
            f"wide sheet: no column names an observed property among {names}",
            hint="name parameter columns as in network/properties.toml (e.g. 高锰酸盐指数, TP)",
        )
    frame, numbers, row_units = _units_row(frame, numbers, params, roles)
    units = {**{n: u for n in params if (u := props[n][1])}, **row_units, **units}
    filled = ~blank(frame[params]).to_numpy()
    has_value = filled.any(axis=1)
    frame, numbers, filled = frame.loc[has_value], numbers[has_value], filled[has_value]
    ids, bad = _ids(frame, roles, tz)
    problems = _row_problems(frame, bad, numbers)
    unmatched = pd.DataFrame(
        {"source_row": None, "field": [n for n in props if n not in params], "value": None,
         "reason": "column not matched to an observed property in properties.toml; not ingested"}
    )  # fmt: skip
    ok = bad["why"].eq("").to_numpy()
    obs = _melt(frame.loc[ok], ids.loc[ok], numbers[ok], filled[ok], params, props, units)
    problems = pd.concat([unmatched, problems], ignore_index=True) if len(unmatched) else problems
    return obs, problems.astype({"source_row": "Int64"})


def _units_row(
    frame: pd.DataFrame, numbers: np.ndarray, params: list[str], roles: Mapping[str, str]
) -> tuple[pd.DataFrame, np.ndarray, dict[str, str]]:
    """Drop a units row right below the header (no date, unit-like cells) and return its units."""
    date_col = roles.get("date", roles.get("datetime", ""))
    if frame.empty or not blank(frame[date_col].iloc[:1]).iloc[0]:
        return frame, numbers, {}
    first = frame.iloc[0][params]
    cells = {n: v for n, v in first.items() if not (pd.isna(v) or not str(v).strip())}
    if not cells or not all(_unit_like(v) for v in cells.values()):
        return frame, numbers, {}
    units = {
        str(n): unicodedata.normalize("NFKC", str(v)).strip().strip("()[]（）【】 ") for n, v in cells.items()
    }
    return frame.iloc[1:], numbers[1:], units


def _melt(
    frame: pd.DataFrame,
    ids: pd.DataFrame,
    numbers: np.ndarray,
    filled: np.ndarray,
    params: list[str],
    props: Mapping[str, tuple[str | None, str | None]],
    units: Mapping[str, str],
) -> pd.DataFrame:
    row, col = np.nonzero(filled)
    cells = frame[params].to_numpy(object)[row, col]
    names = np.asarray(params, dtype=object)[col]
    obs = ids.iloc[row].reset_index(drop=True)
    obs["property_code"] = np.asarray([props[n][0] for n in params], dtype=object)[col]
    obs["raw"] = _raw_text(cells)
    obs["unit"] = np.asarray([units.get(n) for n in params], dtype=object)[col]
    obs["source_row"] = numbers[row]
    obs["column"] = names
    return obs[OBSERVATION_COLUMNS]


def grid_frame(
    grid: Sequence[Sequence[Any]], row_numbers: Sequence[int] | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """A sheet grid (rows of cells, merged cells filled in) → frame and row numbers for the readers above.

    The header is the first row (within the first :data:`HEADER_SEARCH_ROWS`) naming a date
    or time column; titles above it are skipped, group header rows directly above it
    (``营养盐`` over ``总氮``, ``氨氮``) become upper column levels. A units row below the
    header stays in the frame; :func:`wide_sheet` recognises it.
    """
    numbers = np.arange(1, len(grid) + 1) if row_numbers is None else np.asarray(row_numbers)
    top = [
        ["" if blank(pd.Series([v])).iloc[0] else str(v).strip() for v in r]
        for r in grid[:HEADER_SEARCH_ROWS]
    ]
    last = next((i for i, r in enumerate(top) if {"date", "datetime"} & set(_roles(r))), None)
    if last is None:
        raise SchemaError(
            f"no date or time column in the first {HEADER_SEARCH_ROWS} rows",
            hint=f"name the sampling date column one of: {_ROLES['date'].replace('|', ', ')}",
        )
    while last + 1 < len(top) and {"date", "datetime"} & set(_roles(top[last + 1])):
        last += 1  # a date header merged down over two rows: the lower row names the columns
    first = last
    while first > 0 and any(top[first - 1]) and len({v for v in top[first - 1] if v}) > 1:
        first -= 1
    width = max(len(r) for r in grid[first:]) if grid else 0
    levels = [(r + [""] * width)[:width] for r in top[first : last + 1]]
    columns = [
        tuple(dict.fromkeys(level[j] for level in levels if level[j])) or (f"column_{j + 1}",)
        for j in range(width)
    ]
    body = [(list(r) + [None] * width)[:width] for r in grid[last + 1 :]]
    depth = max(len(c) for c in columns)
    index = pd.MultiIndex.from_tuples([("",) * (depth - len(c)) + c for c in columns])
    return pd.DataFrame(body, columns=index, dtype=object), numbers[last + 1 :]
