"""Quarantine records: one per rejected feature, with everything needed to fix and resend it.

A record carries the first error (reason, field, value) for filtering, every problem of
the row as JSON, the source file's name and checksum, the 1-based row number the agency
sees in its own file, the row's attributes exactly as delivered and its geometry as WKB
(EPSG:4490, before any repair). Rows the reader could not read at all are records too
(without geometry): the invariant *input = accepted + quarantined* holds for every file.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.ingest.delivery import Problem
from liuyu.ingest.standardize import json_value
from liuyu.store.gpkg_quarantine import COLUMNS


def build_records(
    problems: pd.DataFrame,
    frame: gpd.GeoDataFrame,
    geoms: np.ndarray,
    rows: np.ndarray,
    reader_problems: list[Problem],
    **common: Any,
) -> pd.DataFrame:
    """One record per rejected row: the frame's error rows, then the rows the reader rejected.

    ``problems`` is the pipeline's problem frame (by position), ``frame`` the delivery as read
    (source names), ``geoms`` the geometries in EPSG:4490 before repair, ``rows`` the source
    row numbers. ``common`` holds ingest_id, category, created_at, source_name, source_checksum.
    """
    errors = problems[problems["severity"] == "error"]
    parts = [_frame_records(errors, frame, geoms, rows), _reader_records(reader_problems)]
    out = (
        pd.concat([p for p in parts if not p.empty], ignore_index=True)
        if any(not p.empty for p in parts)
        else pd.DataFrame(columns=[c for c in COLUMNS if c not in common])
    )
    for key, value in common.items():
        out[key] = value
    return out[list(COLUMNS)]


def _frame_records(
    errors: pd.DataFrame, frame: gpd.GeoDataFrame, geoms: np.ndarray, rows: np.ndarray
) -> pd.DataFrame:
    if errors.empty:
        return pd.DataFrame()
    grouped = errors.groupby("pos", sort=True)
    first = grouped.first()
    pos = first.index.to_numpy(dtype=np.int64)
    listing = grouped.apply(_problem_list, include_groups=False).reindex(first.index)
    attrs = _attributes(frame, pos)
    wkb = shapely.to_wkb(geoms[pos], byte_order=1) if len(pos) else np.empty(0, dtype=object)
    return pd.DataFrame(
        {
            "row": rows[pos].astype(np.int64),
            "reason": first["reason"].to_numpy(),
            "field": first["field"].to_numpy(),
            "value": first["value"].to_numpy(),
            "problems": listing.to_numpy(),
            "attributes": attrs,
            "geom": list(wkb),
        }
    )


def _problem_list(group: pd.DataFrame) -> str:
    cols = ["reason", "field", "value", "detail"]
    records = [
        {k: v for k, v in zip(cols, r, strict=True) if v is not None}
        for r in group[cols].itertuples(index=False)
    ]
    return json.dumps(records, ensure_ascii=False)


def _attributes(frame: gpd.GeoDataFrame, pos: np.ndarray) -> list[str]:
    """The rows' attributes as delivered (source names and values), one JSON object each."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    sub = frame.iloc[pos]
    values = [sub[c].to_numpy(dtype=object) for c in columns]
    keys = [json.dumps(str(c), ensure_ascii=False) for c in columns]
    return [
        "{" + ", ".join(f"{k}: {json_value(col[i])}" for k, col in zip(keys, values, strict=True)) + "}"
        for i in range(len(pos))
    ]


def _reader_records(problems: list[Problem]) -> pd.DataFrame:
    """Rows the reader rejected (severity error, with a row number): reason 'unreadable'."""
    rejected = [p for p in problems if p.severity == "error" and p.row is not None]
    if not rejected:
        return pd.DataFrame()
    by_row: dict[int, list[Problem]] = {}
    for p in rejected:
        by_row.setdefault(int(p.row), []).append(p)  # type: ignore[arg-type]
    return pd.DataFrame(
        {
            "row": list(by_row),
            "reason": "unreadable",
            "field": [ps[0].field for ps in by_row.values()],
            "value": [ps[0].value for ps in by_row.values()],
            "problems": [
                json.dumps(
                    [
                        {"reason": "unreadable", "field": p.field, "value": p.value, "detail": p.reason}
                        for p in ps
                    ],
                    ensure_ascii=False,
                )
                for ps in by_row.values()
            ],
            "attributes": None,
            "geom": None,
        }
    )


def reader_rejected_rows(problems: list[Problem]) -> int:
    """How many distinct rows the reader rejected (they are input rows not in the frame)."""
    return len({p.row for p in problems if p.severity == "error" and p.row is not None})
