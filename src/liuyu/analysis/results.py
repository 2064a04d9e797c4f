"""Analysis results: the table, the optional layer, and what is needed to reproduce them."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from liuyu.errors import LiuyuError, StoreError

if TYPE_CHECKING:
    import geopandas as gpd

    from liuyu.workspace import Workspace


@dataclass
class AnalysisResult:
    """One analysis run: its name, parameters, the versions of its inputs, a table and maybe a layer.

    ``inputs`` maps each input category to the version read (None for an empty layer), so the
    same numbers can be recomputed later with ``read_layer(code, version=v)``.
    """

    name: str
    params: dict[str, Any]
    inputs: dict[str, int | None]
    table: pd.DataFrame
    layer: gpd.GeoDataFrame | None = None
    layer_category: str | None = None
    written_version: int | None = None
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        """The reproducibility record (name, parameters, input versions, layer version written)."""
        return {
            "analysis": self.name,
            "params": self.params,
            "inputs": self.inputs,
            "layer": self.layer_category,
            "layer_version": self.written_version,
        }

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Save the table as CSV (+ a ``.meta.json`` beside it) or XLSX (+ a ``parameters`` sheet)."""
        out = Path(path)
        suffix = out.suffix.lower()
        if suffix == ".csv":
            self.table.to_csv(out, index=False, encoding="utf-8-sig")
            for name, extra in self.extra_tables.items():
                extra.to_csv(out.with_name(f"{out.stem}.{name}.csv"), index=False, encoding="utf-8-sig")
            meta = out.with_name(out.name + ".meta.json")
            meta.write_text(json.dumps(self.meta(), ensure_ascii=False, indent=2), encoding="utf-8")
        elif suffix == ".xlsx":
            with pd.ExcelWriter(out, engine="openpyxl") as xl:
                self.table.to_excel(xl, sheet_name="result", index=False)
                for name, extra in self.extra_tables.items():
                    extra.to_excel(xl, sheet_name=name[:31], index=False)
                params = pd.DataFrame(
                    [(k, json.dumps(v, ensure_ascii=False)) for k, v in self.meta().items()],
                    columns=["key", "value"],
                )
                params.to_excel(xl, sheet_name="parameters", index=False)
        else:
            raise LiuyuError(
                f"cannot write {out.name}: unknown table format", hint="give a .csv or .xlsx file name"
            )
        return out


def input_versions(ws: Workspace, *codes: str) -> dict[str, int | None]:
    """The current version of each input category (None when it has none)."""
    return {code: ws.store.current_version(code) for code in codes}


def require_rows(frame: gpd.GeoDataFrame, code: str) -> gpd.GeoDataFrame:
    """The layer, or an error saying how to fill it when it is empty."""
    if len(frame) == 0:
        hint = (
            "run `liuyu derive steep-slopes` first"
            if code == "steep_slopes"
            else f"ingest it first (`liuyu ingest layer FILE --category {code}`)"
        )
        raise StoreError(f"layer {code} is empty 图层为空", hint=hint)
    return frame


def write_derived(ws: Workspace, result: AnalysisResult, category: str, frame: gpd.GeoDataFrame) -> None:
    """Store ``frame`` as a new version of a derived category, its provenance holding ``result.meta()``."""
    note = f"derived by liuyu analysis {result.name}: " + json.dumps(
        {"params": result.params, "inputs": result.inputs}, ensure_ascii=False, default=str
    )
    version = ws.write_layer(category, frame, kind="derived", note=note, report=result.meta())
    result.layer = frame
    result.layer_category = category
    result.written_version = version.version if version is not None else ws.store.current_version(category)
