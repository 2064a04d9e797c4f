"""The ingest's problem log: what each stage found, row by row, as columns rather than objects.

Stages add problems for whole arrays of rows at once (a million bad values cost one call,
not a million objects). ``pos`` is the row's position in the delivery frame; the pipeline
turns it into the source's 1-based row number at the end. Severity ``error`` sends the row
to quarantine; ``warning`` keeps it and reports it; ``info`` records what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

COLUMNS = ("pos", "reason", "severity", "field", "value", "detail", "lon", "lat")

#: Bilingual labels of the reason codes, for the report and the CLI (code -> (中文, English)).
REASONS: dict[str, tuple[str, str]] = {
    "unreadable": ("无法读取的记录", "row the reader could not read"),
    "bad_value": ("值无法转换为字段类型", "value does not fit the field's type"),
    "nulled_value": ("无效值已置空（原值保存在 extra）", "bad value nulled (original kept in extra)"),
    "missing_required": ("必填字段为空", "required field is empty"),
    "not_in_codelist": ("不在代码表中", "value not in the code list"),
    "empty_geometry": ("几何为空", "empty or missing geometry"),
    "wrong_geometry_type": ("几何类型不符", "wrong geometry type"),
    "collection_parts": ("几何集合：仅保留相符部分", "geometry collection: kept the parts of the right type"),
    "repaired_geometry": ("无效几何已修复", "invalid geometry repaired"),
    "unrepairable_geometry": ("无效几何无法修复", "invalid geometry could not be repaired"),
    "exact_duplicate": ("完全重复", "exact duplicate"),
    "duplicate_key": ("标识重复", "duplicate key"),
    "near_duplicate": ("疑似重复（几何高度重合）", "near duplicate (geometries almost equal)"),
    "coverage_overlap": ("覆盖重叠", "coverage overlap"),
    "coverage_gap": ("覆盖缝隙", "coverage gap"),
    "coverage_edge": ("覆盖边界不一致", "coverage edges do not match"),
    "outside_basin": ("位于流域范围外", "outside the basin"),
    "outside_scope": ("不在本次更新范围内", "outside the area this update replaces"),
    "suspected_offset": ("疑似火星坐标偏移", "suspected GCJ-02-like offset"),
    "unit_converted": ("单位已换算", "unit converted"),
    "codelist_name": ("名称已转换为代码", "name converted to its code"),
    "field_conflict": ("字段重复匹配", "two columns match one field"),
    "unknown_unit": ("无法识别的单位", "unknown unit in the header"),
    "crs": ("坐标系", "coordinate system"),
    "check_skipped": ("检查已跳过", "check skipped"),
    "reader": ("读取", "reading"),
}


def label(reason: str) -> str:
    """'中文 / English' for a reason code (the code itself when unknown)."""
    zh, en = REASONS.get(reason, (reason, reason))
    return f"{zh} / {en}"


@dataclass
class ProblemLog:
    """Problems collected during one ingest, as column chunks concatenated on demand."""

    chunks: list[pd.DataFrame] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        pos: np.ndarray | list[int],
        reason: str,
        *,
        severity: str = "error",
        field: str | None = None,
        value: Any = None,
        detail: Any = None,
        where: tuple[float, float] | None = None,
    ) -> None:
        """Record one problem for each position; ``value``/``detail`` are scalars or arrays alike.

        ``where`` (lon, lat) places the problem more precisely than its feature (e.g. an overlap).
        """
        positions = np.asarray(pos, dtype=np.int64)
        n = len(positions)
        if n == 0:
            return
        self.chunks.append(
            pd.DataFrame(
                {
                    "pos": positions,
                    "reason": reason,
                    "severity": severity,
                    "field": field,
                    "value": _texts(value, n),
                    "detail": _texts(detail, n),
                    "lon": np.nan if where is None else where[0],
                    "lat": np.nan if where is None else where[1],
                }
            )
        )

    def note(self, reason: str, message: str, *, severity: str = "warning", **data: Any) -> None:
        """A finding about the whole file (no row): a CRS choice, a coverage gap, a skipped check."""
        self.notes.append({"reason": reason, "severity": severity, "message": message, **data})

    def frame(self) -> pd.DataFrame:
        """All row problems so far, in the order they were found."""
        if not self.chunks:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS}).astype({"pos": np.int64})
        return pd.concat(self.chunks, ignore_index=True)

    def error_positions(self) -> np.ndarray:
        """Sorted unique positions of rows with at least one error (the rows to quarantine)."""
        errors = [c["pos"].to_numpy() for c in self.chunks if (c["severity"] == "error").any()]
        if not errors:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(errors))


def _texts(value: Any, n: int) -> Any:
    """A scalar stays a scalar (pandas broadcasts it); an array becomes text, None kept."""
    if value is None or isinstance(value, str | int | float):
        return None if value is None else str(value)
    arr = np.asarray(value, dtype=object)
    if arr.shape != (n,):
        raise ValueError(f"expected {n} values, got shape {arr.shape}")
    out = np.full(n, None, dtype=object)
    present = pd.notna(arr)
    out[present] = [str(v) for v in arr[present]]
    return out
