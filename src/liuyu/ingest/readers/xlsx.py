"""Excel workbooks (.xlsx) with coordinate columns: sheets are layers; merged cells filled in."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer
from liuyu.ingest.readers.table import has_coordinate_header, table_delivery
from liuyu.ingest.safety import check_zip

__all__ = ["XLSXReader"]


class XLSXReader(BaseReader):
    """Excel .xlsx/.xlsm station lists and tables with coordinate columns.

    The header is found among the first rows (titles above it skipped, merged group headers
    joined, units in brackets such as ``流量(m³/s)`` or in a row below split off into
    ``Delivery.units``). Merged cells are filled with their value, so a river name merged
    down a group of stations reaches every row. Cached formula results are read, not the
    formulas. When a workbook has several sheets but only one with coordinates, that one is
    read; otherwise pass ``layer=`` (the sheet name). Old binary .xls is not read.
    """

    name = "xlsx"
    format = "xlsx"
    extensions = (".xlsx", ".xlsm")
    kinds = ("zip",)
    description = "Excel workbook with coordinate columns"

    def layers(self, path: Path) -> list[str]:
        return [ws.title for ws in _sheets(_open(path))]

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        book = _open(path)
        grids = {ws.title: _grid(ws) for ws in _sheets(book)}
        notes = []
        if layer is None and len(grids) > 1:
            with_coords = [t for t, g in grids.items() if has_coordinate_header(g)]
            if len(with_coords) == 1:
                layer = with_coords[0]
                notes.append(f"{path.name}: read sheet {layer!r}, the only one with coordinate columns")
        chosen = choose_layer(path, list(grids), layer)
        sheet = book[chosen]
        merged = len(sheet.merged_cells.ranges)
        if merged:
            notes.append(f"{path.name}, sheet {chosen!r}: {merged} merged cell range(s) filled in")
        grid = grids[chosen]
        return table_delivery(
            grid, range(1, len(grid) + 1), source=path, fmt=self.format, layer=chosen, notes=notes
        )


def _open(path: Path) -> openpyxl.Workbook:
    check_zip(path)  # a workbook is a zip: the same bomb limits apply before openpyxl inflates it
    try:
        return openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise IngestError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}: {exc})",
            hint="open it in Excel or WPS and save it again as .xlsx",
        ) from exc


def _sheets(book: openpyxl.Workbook) -> list[Worksheet]:
    """The worksheets holding anything (an untouched sheet has one empty cell A1)."""
    return [ws for ws in book.worksheets if ws.max_row > 1 or ws.max_column > 1 or ws["A1"].value is not None]


def _grid(ws: Worksheet) -> list[list[Any]]:
    """The sheet's values as rows, with every merged range filled with its top-left value."""
    grid = [list(row) for row in ws.iter_rows(values_only=True)]
    for rng in ws.merged_cells.ranges:
        value = grid[rng.min_row - 1][rng.min_col - 1] if rng.min_row - 1 < len(grid) else None
        for r in range(rng.min_row - 1, min(rng.max_row, len(grid))):
            row = grid[r]
            for c in range(rng.min_col - 1, min(rng.max_col, len(row))):
                row[c] = value
    return grid
