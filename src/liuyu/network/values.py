"""Raw lab and report values ("<0.01", "未检出", "0.01L", "1,234.5", "0.5mg/L") as numbers with censoring."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from liuyu.network.units import normalize_units

#: Columns of :func:`parse_values`, in order.
VALUE_COLUMNS = ("raw", "value", "censor", "status", "detection_limit", "unit", "reason")

# A number after NFKC: optional sign, thousands groups "1,234.5", decimals, exponent.
_NUM = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
# "<0.01", ">2400", "≤0.5", "0.01L" (GB/HJ lab convention: detection limit + L = not detected),
# each with an optional unit after it ("0.5mg/L"). The L suffix must not start a unit ("2L/s").
_MEASURED = re.compile(
    rf"^(?P<op>[<>≤≥]=?)?\s*(?P<num>{_NUM})\s*(?P<lsuffix>L(?![A-Za-z/]))?\s*(?P<unit>[^0-9\s,.].*)?$"
)
# "ND", "未检出", "<DL", "ND(0.01)", "未检出(检出限0.01mg/L)".
_NONDETECT = re.compile(
    r"^(?:n\.?d\.?|not\s*detected|未检出|未检测到|低于检出限|检出限以下|<\s*(?:dl|lod|mdl|检出限))"
    rf"\s*(?:\(\s*(?:dl|lod|mdl|检出限)?\s*[=:<]?\s*(?P<dl>{_NUM})\s*(?P<unit>[^)]*?)\s*\))?$",
    re.IGNORECASE,
)
# Cells that mean "no value" in Chinese and English reports (compared after NFKC and case folding).
_MISSING = frozenset(
    ["", "-", "--", "---", "—", "——", "–", "―", "/", "//", "\\", "nan", "na", "n/a", "null", "none",
     "无", "空", "缺测", "未测", "未监测", "停测"]
)  # fmt: skip


def parse_values(raw: pd.Series, detection_limit: float | pd.Series | None = None) -> pd.DataFrame:
    """Parse a column of raw cells into value, censoring, status and detection limit.

    Parameters
    ----------
    raw : Series
        The cells as delivered (text or numbers); the index is kept.
    detection_limit : float or Series, optional
        The detection limit (same unit as the cells) for non-detects that do not state one
        ("ND", "未检出", "<DL"); a Series is aligned on ``raw``'s index (one limit per row).

    Returns
    -------
    DataFrame
        ``raw`` (untouched), ``value`` (float; a non-detect is kept at its detection limit),
        ``censor`` ('' | '<' | '>'), ``status`` ('ok' | 'missing' | 'invalid'),
        ``detection_limit`` (float, the limit of "<" cells), ``unit`` (canonical symbol of a
        unit written in the cell, else ''), ``reason`` (why a cell is invalid, for the
        quarantine report; else '').

    Examples
    --------
    >>> parse_values(pd.Series(["<0.01", "0.05L", "1,234.5", "—"]))[["value", "censor", "status"]]
         value censor   status
    0     0.01      <       ok
    1     0.05      <       ok
    2  1234.50              ok
    3      NaN         missing
    """
    cells = _parse_cells(raw)
    given_dl = _given_limit(detection_limit, raw.index)
    is_missing, is_measured, is_nd = (cells["kind"] == k for k in ("missing", "measured", "nd"))
    op = cells["op"]

    nd_limit = cells["stated_dl"].fillna(given_dl)
    value = cells["number"].where(is_measured, nd_limit.where(is_nd)).astype("float64")
    censor = pd.Series(np.where(is_nd, "<", np.where(is_measured, op, "")), index=raw.index)
    limit = cells["number"].where(is_measured & (op == "<"), nd_limit.where(is_nd)).astype("float64")
    unit = cells["unit"]

    reason = _reasons(is_missing, is_measured, is_nd, value, unit, cells["unit_text"])
    status = np.where(is_missing, "missing", np.where(reason == "", "ok", "invalid"))
    ok = status == "ok"
    return pd.DataFrame(
        {
            "raw": raw,
            "value": value.where(ok),
            "censor": censor.where(ok, ""),
            "status": status,
            "detection_limit": limit.where(ok),
            "unit": unit.where(ok, "").fillna("").astype(object),
            "reason": reason,
        },
        index=raw.index,
    )


def _parse_cells(raw: pd.Series) -> pd.DataFrame:
    """The row-independent part of parsing, done once per distinct cell (reports repeat a lot)."""
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    cells = pd.Series(uniques, dtype=object)
    number = pd.to_numeric(cells, errors="coerce").astype("float64")
    plain = np.isfinite(number.to_numpy())  # plain numbers skip the regular expressions
    fast = pd.DataFrame(
        {
            "kind": "measured",
            "number": number[plain],
            "op": "",
            "stated_dl": np.nan,
            "unit_text": "",
            "unit": "",
        }
    )
    na = pd.DataFrame(  # the row for code -1 (NA cells), last after sorting
        {"kind": ["missing"], "number": np.nan, "op": "", "stated_dl": np.nan, "unit_text": ""},
        index=[len(cells)],
    )
    parsed = pd.concat([fast, _parse_text(cells[~plain]), na.assign(unit="")]).sort_index(kind="stable")
    return parsed.iloc[np.where(codes < 0, len(parsed) - 1, codes)].set_axis(raw.index)


def _parse_text(cells: pd.Series) -> pd.DataFrame:
    """Parse cells that are not plain numbers: censored, non-detects, missing marks, units, junk."""
    text = _normalize(cells)
    measured = text.str.extract(_MEASURED)
    nondetect = text.str.extract(_NONDETECT)
    is_missing = text.isna() | text.str.casefold().isin(_MISSING).fillna(True).astype(bool)
    is_measured = measured["num"].notna() & ~is_missing
    is_nd = _matched(text, _NONDETECT) & ~is_missing
    kind = np.select([is_missing, is_measured, is_nd], ["missing", "measured", "nd"], default="unparsed")
    op = measured["op"].fillna("").str.slice(0, 1).replace({"≤": "<", "≥": ">"})
    unit_text = measured["unit"].where(is_measured, nondetect["unit"].where(is_nd)).fillna("")
    return pd.DataFrame(
        {
            "kind": kind,
            "number": pd.to_numeric(measured["num"].str.replace(",", "", regex=False), errors="coerce"),
            "op": op.mask(measured["lsuffix"].notna(), "<").astype(object),
            "stated_dl": pd.to_numeric(nondetect["dl"].str.replace(",", "", regex=False), errors="coerce"),
            "unit_text": unit_text.astype(object),
            "unit": normalize_units(unit_text.str.strip()),
        },
        index=cells.index,
    )


def _normalize(raw: pd.Series) -> pd.Series:
    """Cells as text: NFKC folds full-width digits and ＜／（）, then blanks trimmed."""
    return raw.astype("string").str.normalize("NFKC").str.strip()


def _matched(text: pd.Series, pattern: re.Pattern[str]) -> pd.Series:
    return text.str.match(pattern).fillna(False).astype(bool)


def _given_limit(detection_limit: float | pd.Series | None, index: pd.Index) -> pd.Series:
    if isinstance(detection_limit, pd.Series):
        return pd.to_numeric(detection_limit, errors="coerce").reindex(index).astype("float64")
    fill = np.nan if detection_limit is None else float(detection_limit)
    return pd.Series(fill, index=index, dtype="float64")


def _reasons(
    is_missing: pd.Series,
    is_measured: pd.Series,
    is_nd: pd.Series,
    value: pd.Series,
    unit: pd.Series,
    unit_text: pd.Series,
) -> pd.Series:
    """Why each cell is invalid ('' when it is fine), first failing check wins."""
    unparsed = ~(is_missing | is_measured | is_nd)
    no_dl = is_nd & value.isna()
    bad_number = is_measured & ~np.isfinite(value.fillna(np.inf))
    bad_unit = (is_measured | is_nd) & unit.isna()
    out = np.full(len(value), "", dtype=object)
    bad = bad_unit.to_numpy(dtype=bool)
    out[bad] = ("unknown unit after the number: " + unit_text[bad].astype(str)).to_numpy()
    fixed = [  # applied last to first, so the first failing check wins
        (unparsed, "not a number, a censored value (<0.01, 0.01L, ND) or a missing mark (—, /)"),
        (
            no_dl,
            "non-detect without a detection limit: write it in the cell, e.g. 未检出(0.01), "
            "or pass detection_limit",
        ),
        (bad_number, "number out of range (overflows float64)"),
    ]
    for mask, reason in reversed(fixed):  # three masks, not rows
        out[mask.to_numpy(dtype=bool)] = reason
    return pd.Series(out, index=value.index)
