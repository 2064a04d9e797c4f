"""Observation files (long/wide CSV or XLSX sheets, HJ 212 message logs) → long observation frames."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from liuyu.errors import IngestError
from liuyu.ingest.readers.csv_ import _decode, _delimiter
from liuyu.ingest.readers.header import HEADER_SEARCH_ROWS
from liuyu.ingest.readers.xlsx import _grid, _open, _sheets
from liuyu.network.hj212 import parse_messages
from liuyu.network.sheets import _flatten, _roles, grid_frame, long_table, wide_sheet

__all__ = ["FORMATS", "read_observations"]

FORMATS = ("auto", "long", "wide", "hj212")
#: The method of series read from wide lab sheets (the one assessments and reports read).
LAB = "lab"
_TEXT = (".csv", ".tsv", ".txt", ".log")
_EXCEL = (".xlsx", ".xlsm")
# Liuyu's own export names, which the sheet readers' Chinese/English aliases do not list.
_OWN_NAMES = {"station_code": "站码", "property_code": "项目", "phenomenon_time": "时间"}


def read_observations(
    path: Path, *, format: str = "auto", mn_map: Mapping[str, str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Parse one observation file; returns (observations, problems, the format read).

    Times in the file are Asia/Shanghai local time; the parsers return them in UTC. Series
    methods: wide sheets "lab", HJ 212 the statistic (Avg, Rtd, ...), long tables none.
    """
    if format not in FORMATS:
        raise IngestError(f"unknown format {format!r}", hint=f"use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise IngestError(f"{path}: no such file", hint="check the path")
    suffix = path.suffix.lower()
    if suffix not in _TEXT + _EXCEL and format != "hj212":
        raise IngestError(
            f"{path.name}: observations are read from .csv/.txt/.xlsx files",
            hint="export the sheet as CSV or XLSX, or pass --format hj212 for a message log",
        )
    text = _decode(path, path.read_bytes(), None)[0] if suffix not in _EXCEL else None
    if format == "hj212" or (format == "auto" and text is not None and _looks_like_hj212(text)):
        return _hj212(path, text or "", mn_map)
    grid = _csv_frame(text) if text is not None else _excel_frame(path)
    frame, rows = _header_and_body(grid)
    if format == "auto":
        format = "long" if {"property", "value"} <= set(_roles(_flatten(frame.columns)[0])) else "wide"
    obs, problems = (long_table if format == "long" else wide_sheet)(
        frame, rows=cast("Sequence[int]", rows)
    )  # an array works
    # a wide sheet is one row per sample: lab results, the series assessments and reports read
    # (method "lab"); a long table names no method, so its series has none
    return obs.assign(method=LAB if format == "wide" else ""), problems, format


_HJ212_PACKET = re.compile(r"##\d{4}(?:QN|ST|CN)=")


def _looks_like_hj212(text: str) -> bool:
    """HJ 212 packets, bare or after a logger's timestamp ("2024-08-05 08:00:03 RECV ##0252QN=...").

    Loggers prefix each packet (and may start the file with a banner line), so "starts with ##"
    misses most real captures: any of the first five non-blank lines holding a packet header is enough.
    """
    lines = [line for line in text[:20_000].splitlines() if line.strip()][:5]
    return any(_HJ212_PACKET.search(line) for line in lines)


def _hj212(path: Path, text: str, mn_map: Mapping[str, str] | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    if not mn_map:
        raise IngestError(
            f"{path.name}: HJ 212 messages name devices (MN), not stations",
            hint="pass --mn-map FILE.csv with columns mn,station_code",
        )
    obs, problems = parse_messages(text, mn_map)
    return obs.assign(method=obs["statistic"].astype(str)), problems, "hj212"


def _csv_frame(text: str) -> pd.DataFrame:
    """All cells as text (codes keep leading zeros); blank cells are None."""
    sep = _delimiter(text)
    width = max((len(r) for r in csv.reader(io.StringIO(text[:200_000]), delimiter=sep)), default=0)
    return pd.read_csv(
        io.StringIO(text),
        sep=sep,
        header=None,
        names=range(width),
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        engine="c",
    )


def _excel_frame(path: Path) -> pd.DataFrame:
    sheets = _sheets(_open(path))
    if not sheets:
        raise IngestError(f"{path.name}: the workbook is empty", hint="check the delivered file")
    return pd.DataFrame(_grid(sheets[0]), dtype=object)


def _header_and_body(grid: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Find the header in the first rows (grid_frame), then take the body as one block."""
    top = grid.iloc[: HEADER_SEARCH_ROWS + 1]
    head = top.astype(object).where(top.notna(), None).replace(_OWN_NAMES)
    frame, numbers = grid_frame(head.to_numpy().tolist())
    start = int(numbers[0]) - 1 if len(numbers) else len(head)
    body = grid.iloc[start:].reset_index(drop=True)
    body = body.astype(object).where(body.notna(), None).set_axis(frame.columns, axis=1)
    return body, np.arange(start + 1, start + 1 + len(body), dtype=np.int64)
