"""GB 3838-2002 single-factor classification, vectorized over all samples and items at once.

Classes are small integers: 1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ, 0 for "not classified" (item missing,
not applicable to the water type, or not classed, like water temperature).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from liuyu.assess.standards import Item, Standard, load_standard
from liuyu.errors import SchemaError

RIVER = "river"
LAKE = "lake_reservoir"
WORSE_THAN_V = 6
CLASS_LABELS = np.array(["", "Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ"], dtype=object)
# Qualitative grade of a section by class (2011 method, [V-2]).
CLASS_GRADES = np.array(["", "优", "优", "良好", "轻度污染", "中度污染", "重度污染"], dtype=object)
CensorRule = Literal["half", "limit", "zero"]
# A "<DL" result is evaluated at this fraction of the detection limit. "half" (DL/2) is the usual
# statistical convention; "limit" (DL) is the conservative bound. Not prescribed by GB 3838.
CENSOR_FACTORS: dict[str, float] = {"half": 0.5, "limit": 1.0, "zero": 0.0}
PERIODS = {"month": "M", "season": "Q", "year": "Y"}


@dataclass(frozen=True)
class Assessment:
    """Result of :func:`classify`.

    ``items``: one row per input measurement of a standard item (sample_id, property_code,
    value as evaluated, class, label, exceedance). ``samples``: one row per sample, indexed by
    sample_id (water_type, class, label, grade, n_routine, main_1..3, multiple_1..3,
    target_class, meets_target, verified).
    """

    items: pd.DataFrame
    samples: pd.DataFrame


def round_half_even(values: np.ndarray | float, decimals: int) -> np.ndarray:
    """Round half to even (四舍六入五成双, 总站水字〔2018〕87号 [S]) on decimal, not binary, ties.

    ``np.round`` already rounds exact ties to even, but 2.675 is stored as 2.67499999...; values
    within 1e-9 (relative) of a decimal tie are treated as the tie.

    Examples
    --------
    >>> round_half_even(np.array([2.675, 2.665, 0.125]), 2).tolist()
    [2.68, 2.66, 0.12]
    """
    scale = 10.0**decimals
    y = np.asarray(values, dtype=float) * scale
    floor = np.floor(y)
    tie = np.abs(y - floor - 0.5) <= 1e-9 * np.maximum(1.0, np.abs(y))
    even = np.where(np.fmod(floor, 2.0) == 0.0, floor, floor + 1.0)
    return np.where(tie, even, np.round(y)) / scale


#: Relative slack of a limit comparison. A period or spatial mean lands a few ulps off the exact
#: value (0.1 + 0.2 → 0.30000000000000004; pH 9 through the H⁺ mean → 9.000000000000002): such a
#: value is "at the limit" and takes the better class. 1e-12 is far above float noise (~1e-16)
#: and far below any reporting precision, so no genuine exceedance is hidden.
LIMIT_RTOL = 1e-12


def _classify_row(limits: Sequence[float], direction: str, v: np.ndarray) -> np.ndarray:
    # searchsorted(side="left") puts a value equal to a limit at that limit: the better class,
    # also where several classes share one limit (从优不从劣).
    lim = np.asarray(limits, dtype=float)
    if direction == "ge":  # limits fall from the best class: compare negated values
        return np.searchsorted(-lim * (1 - LIMIT_RTOL), -v) + 1
    return np.searchsorted(lim * (1 + LIMIT_RTOL), v) + 1


def _classify_item(item: Item, v: np.ndarray, lake: np.ndarray) -> np.ndarray:
    if item.range is not None:
        lo, hi = item.range
        cls = np.where((v >= lo * (1 - LIMIT_RTOL)) & (v <= hi * (1 + LIMIT_RTOL)), 1, WORSE_THAN_V)
    elif item.limits_by_water_type is not None:
        rows = item.limits_by_water_type
        on_lake = _classify_row(rows[LAKE], item.direction, v)
        cls = np.where(lake, on_lake, _classify_row(rows[RIVER], item.direction, v))
    else:
        assert item.limits is not None
        cls = _classify_row(item.limits, item.direction, v)
    if item.water_types is not None:
        allowed = np.zeros(lake.shape, dtype=bool)
        if LAKE in item.water_types:
            allowed |= lake
        if RIVER in item.water_types:
            allowed |= ~lake
        cls = np.where(allowed, cls, 0)
    return np.where(np.isnan(v), 0, cls).astype(np.int8)


def classify_matrix(
    values: np.ndarray, codes: Sequence[str], lake: np.ndarray, standard: Standard | None = None
) -> np.ndarray:
    """Class of every item of every sample: ``values`` is (n_samples, n_items), NaN = missing.

    ``codes`` names the columns; ``lake`` is True for lake/reservoir samples. Returns int8
    (n_samples, n_items), 0 where not classified. A Fortran-ordered ``values`` is fastest.
    """
    std = standard or load_standard("gb3838_2002")
    out = np.zeros(values.shape, dtype=np.int8, order="F")
    for j, code in enumerate(codes):
        item = std.items.get(code)
        if item is not None and item.is_classed and item.direction != "none":
            out[:, j] = _classify_item(item, values[:, j], lake)
    return out


def worst_class(classes: np.ndarray, columns: Sequence[int]) -> np.ndarray:
    """Worst (highest) class over the given columns per sample; 0 when none is classified."""
    worst = np.zeros(classes.shape[0], dtype=np.int8)
    for j in columns:
        np.maximum(worst, classes[:, j], out=worst)
    return worst


def exceedance_matrix(
    values: np.ndarray, codes: Sequence[str], lake: np.ndarray, standard: Standard | None = None
) -> np.ndarray:
    """超标倍数 (C − C_Ⅲ) / C_Ⅲ where C exceeds the Class Ⅲ limit, NaN elsewhere.

    Not computed for the items the 2011 method excludes (water temperature, pH, DO).
    """
    std = standard or load_standard("gb3838_2002")
    ev = std.evaluation
    ref = int(ev.get("exceedance_reference_class", 3)) - 1
    skip = set(ev.get("no_exceedance_multiple", []))
    out = np.full(values.shape, np.nan)
    for j, code in enumerate(codes):
        item = std.items.get(code)
        if item is None or code in skip or item.direction != "le" or not item.is_classed:
            continue
        if item.limits_by_water_type is not None:
            rows = item.limits_by_water_type
            c3 = np.where(lake, rows[LAKE][ref], rows[RIVER][ref])
        else:
            assert item.limits is not None
            c3 = np.full(values.shape[0], item.limits[ref])
            if item.water_types == [LAKE]:
                c3 = np.where(lake, c3, np.nan)
        m = (values[:, j] - c3) / c3
        out[:, j] = np.where(m > LIMIT_RTOL, m, np.nan)  # at the limit (within float noise): none
    return out


def main_pollutants(
    classes: np.ndarray, multiples: np.ndarray, codes: Sequence[str], standard: Standard | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Up to three main pollutants per sample (codes, multiples), "" / NaN where none.

    Only routine items worse than Class Ⅲ count; cyanide and heavy metals come first, then the
    worse class, then the larger exceedance multiple, then the routine-item order.
    """
    ev = (standard or load_standard("gb3838_2002")).evaluation
    above = int(ev.get("main_pollutants_above_class", 3))
    k = int(ev.get("main_pollutants_max", 3))
    routine = set(ev.get("routine_items", codes))
    priority = np.array([c in set(ev.get("priority_main_pollutants", [])) for c in codes])
    eligible = (classes > above) & np.array([c in routine for c in codes])
    tier = priority * 3.0 + (classes - above - 1)
    score = np.where(eligible, tier * 1e12 + np.clip(np.nan_to_num(multiples), 0.0, 1e11), -1.0)
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(score, order, axis=1) >= 0
    names = np.where(picked, np.asarray(codes, dtype=object)[order], "")
    mult = np.where(picked, np.take_along_axis(multiples, order, axis=1), np.nan)
    return names, mult


def _lake_mask(sample_ids: pd.Index, water_type: pd.Series | str) -> np.ndarray:
    wt = pd.Series(water_type, index=sample_ids) if isinstance(water_type, str) else water_type
    wt = wt.reindex(sample_ids)
    bad = ~wt.isin([RIVER, LAKE])
    if bad.any():
        raise SchemaError(
            f"water_type of sample {wt.index[bad.to_numpy()][0]!r} is {wt[bad].iloc[0]!r}",
            hint=f"give every sample a water_type of {RIVER!r} or {LAKE!r}",
        )
    return (wt == LAKE).to_numpy()


def censored_values(frame: pd.DataFrame, censored: CensorRule = "half") -> np.ndarray:
    """The ``value`` column with "<DL" results replaced by the ``censored`` rule."""
    value = frame["value"].to_numpy(dtype=float)
    if "censor" not in frame:
        return value
    below = (frame["censor"] == "<").to_numpy()
    return np.where(below, value * CENSOR_FACTORS[censored], value)


def _pivot(
    frame: pd.DataFrame, codes: list[str], values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.Index]:
    missing = {"sample_id", "property_code", "value"} - set(frame.columns)
    if missing:
        raise SchemaError(f"measurements lack column(s) {sorted(missing)}", hint="pass a long frame")
    rows, sample_ids = pd.factorize(frame["sample_id"], sort=True)
    cols = pd.Index(codes).get_indexer(frame["property_code"])
    known = cols >= 0
    rows, cols, vals = rows[known], cols[known], values[known]
    dup = pd.Series(rows * len(codes) + cols).duplicated().to_numpy()
    if dup.any():
        sid, code = sample_ids[rows[dup][0]], codes[cols[dup][0]]
        raise SchemaError(
            f"sample {sid!r} has several values for {code!r}",
            hint="aggregate first (aggregate_period) or give each measurement its own sample_id",
        )
    matrix = np.full((len(sample_ids), len(codes)), np.nan, order="F")
    matrix[rows, cols] = vals
    return matrix, rows, cols, sample_ids


def classify(
    frame: pd.DataFrame,
    water_type: pd.Series | str,
    *,
    target: pd.Series | None = None,
    censored: CensorRule = "half",
    decimals: Mapping[str, int] | None = None,
    standard: Standard | None = None,
) -> Assessment:
    """Classify every item of every sample and every sample, by GB 3838-2002 and the 2011 method.

    Parameters
    ----------
    frame : DataFrame
        Long measurements: ``sample_id``, ``property_code``, ``value`` and optionally
        ``censor`` ("<" = below the detection limit given as ``value``). Codes that are not
        items of the standard (chla, sd, ...) are ignored.
    water_type : Series or str
        ``"river"`` or ``"lake_reservoir"`` per sample_id (or one for all).
    target : Series, optional
        Target class per sample_id (1..5); gives ``meets_target``.
    censored : {"half", "limit", "zero"}
        A "<DL" value is evaluated at DL/2 (default), DL, or 0.
    decimals : mapping, optional
        Round each item half-to-even to these decimals before classifying (the reporting
        precision of the monitoring method); no rounding by default.
    """
    std = standard or load_standard("gb3838_2002")
    codes = list(std.items)
    values = censored_values(frame, censored)
    matrix, rows, cols, sample_ids = _pivot(frame, codes, values)
    for code, d in (decimals or {}).items():
        if code not in std.items:
            raise SchemaError(f"decimals given for {code!r}, not an item of {std.code}", hint="fix the code")
        j = codes.index(code)
        matrix[:, j] = round_half_even(matrix[:, j], d)
    lake = _lake_mask(sample_ids, water_type)
    classes = classify_matrix(matrix, codes, lake, std)
    multiples = exceedance_matrix(matrix, codes, lake, std)
    items = pd.DataFrame(
        {
            "sample_id": sample_ids[rows],
            "property_code": np.asarray(codes, dtype=object)[cols],
            "value": matrix[rows, cols],
            "class": pd.array(classes[rows, cols], dtype="Int8"),
            "label": CLASS_LABELS[classes[rows, cols]],
            "exceedance": multiples[rows, cols],
        }
    )
    items.loc[items["class"] == 0, "class"] = pd.NA
    samples = _sample_table(classes, multiples, codes, std, sample_ids, lake)
    return Assessment(items=items, samples=_with_target(samples, target))


def _sample_table(
    classes: np.ndarray,
    multiples: np.ndarray,
    codes: list[str],
    std: Standard,
    sample_ids: pd.Index,
    lake: np.ndarray,
) -> pd.DataFrame:
    routine = [codes.index(c) for c in std.evaluation.get("routine_items", codes)]
    worst = worst_class(classes, routine)
    sub_codes = [codes[j] for j in routine]
    names, mult = main_pollutants(classes[:, routine], multiples[:, routine], sub_codes, std)
    table = pd.DataFrame(
        {
            "water_type": np.where(lake, LAKE, RIVER),
            "class": pd.array(np.where(worst > 0, worst, 0), dtype="Int8"),
            "label": CLASS_LABELS[worst],
            "grade": CLASS_GRADES[worst],
            "n_routine": (classes[:, routine] > 0).sum(axis=1),
        },
        index=pd.Index(sample_ids, name="sample_id"),
    )
    table.loc[worst == 0, "class"] = pd.NA
    for i in range(names.shape[1]):
        table[f"main_{i + 1}"] = names[:, i]
        table[f"multiple_{i + 1}"] = mult[:, i]
    table["verified"] = std.verified
    return table


def _with_target(samples: pd.DataFrame, target: pd.Series | None) -> pd.DataFrame:
    if target is None:
        samples["target_class"] = pd.array([pd.NA] * len(samples), dtype="Int8")
    else:
        samples["target_class"] = pd.array(target.reindex(samples.index), dtype="Int8")
    meets = samples["class"] <= samples["target_class"]
    samples["meets_target"] = meets.astype("boolean")
    return samples


def aggregate_period(
    frame: pd.DataFrame,
    period: Literal["month", "season", "year"] = "month",
    *,
    censored: CensorRule = "half",
    label: str | None = None,
) -> pd.DataFrame:
    """Mean of each item of each section over each period, ready for :func:`classify`.

    ``frame`` has ``section_id``, ``time``, ``property_code``, ``value`` (and ``censor``).
    Censored values are substituted first (``censored``), then averaged arithmetically; pH is
    averaged as −log10 of the mean H⁺ concentration (环办监测函〔2020〕82号 [S]). "season" is the
    calendar quarter. With ``label`` every row is one period of that name (``time`` is then not
    needed): the caller has already cut the period, e.g. a hydrological season (丰/平/枯水期,
    GB 3838 §5.2) whose months need not be contiguous (see :mod:`liuyu.assess.seasons`).
    Returns ``sample_id`` ("<section_id>/<period>"), ``section_id``, ``period``,
    ``property_code``, ``value``, ``n``.
    """
    if label is not None:
        periods = np.full(len(frame), label, dtype=object)
    else:
        periods = pd.to_datetime(frame["time"]).dt.to_period(PERIODS[period]).astype(str).to_numpy()
    work = pd.DataFrame(
        {
            "section_id": frame["section_id"].to_numpy(),
            "period": periods,
            "property_code": frame["property_code"].to_numpy(),
            "value": censored_values(frame, censored),
        }
    )
    out = mean_measurements(work, ["section_id", "period", "property_code"])
    out.insert(0, "sample_id", out["section_id"].astype(str) + "/" + out["period"])
    return out


def mean_measurements(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Arithmetic mean (and count) of ``value`` per group; pH as −log10 of the mean H⁺."""
    is_ph = (frame["property_code"] == "ph").to_numpy()
    value = frame["value"].to_numpy(dtype=float)
    work = frame[by].assign(value=np.where(is_ph, 10.0**-value, value))
    out = work.groupby(by, sort=True)["value"].agg(value="mean", n="count").reset_index()
    ph = (out["property_code"] == "ph").to_numpy()
    out["value"] = np.where(ph, -np.log10(out["value"].to_numpy()), out["value"].to_numpy())
    return out
