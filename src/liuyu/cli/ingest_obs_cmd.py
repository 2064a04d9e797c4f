"""`liuyu ingest observations FILE`: load a lab sheet, long table or HJ 212 log into the network."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from liuyu.cli.ingest_cmd import SHOWN, ingest_app
from liuyu.cli.options import WorkspaceOpt, console, workspace

if TYPE_CHECKING:
    from liuyu.network.ingest import ObservationIngestResult

_LABELS = {
    "rows_in": "输入 rows in",
    "stored": "入库 stored",
    "already_present": "已有 already present",
    "quarantined": "隔离 quarantined",
    "missing": "缺测 missing",
    "merged_duplicates": "重复合并 merged duplicates",
    "parse_rejected": "  解析失败 unreadable rows",
    "unknown_station": "  未知站点 unknown station",
    "invalid_value": "  无效数值 invalid value",
    "bad_unit": "  单位错误 unit not convertible",
    "conflicting_duplicate": "  冲突重复 conflicting duplicate",
    "rejected_range": "  超物理范围 outside hard range",
}


@ingest_app.command("observations")
def observations(
    file: Annotated[Path, typer.Argument(help="Observation file 监测数据文件 (csv, xlsx, HJ 212 log)")],
    format: Annotated[
        str, typer.Option("--format", help="auto, long (长表), wide (宽表), hj212 (HJ 212 报文)")
    ] = "auto",
    mn_map: Annotated[
        Path | None, typer.Option("--mn-map", help="HJ 212 device map 设备对照 CSV: mn,station_code")
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Delivering agency 提供单位")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report only; write nothing 试运行")
    ] = False,
    user: Annotated[str, typer.Option(help="Who is ingesting 操作人")] = "liuyu",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Ingest observations 监测数据入库: stations, values, units, duplicates, QC; rejects quarantined."""
    with workspace(ws_path) as ws:
        result = ws.ingest_observations(
            file, format=format, mn_map=mn_map, agency=agency, user=user, dry_run=dry_run
        )
        print_result(result)


def print_result(result: ObservationIngestResult) -> None:
    """Counts (bilingual), the conservation line and the first quarantined rows."""
    mode = " [yellow]试运行 dry run: nothing written[/]" if result.dry_run else ""
    console.print(
        f"[bold]观测值 observations[/] ← {result.source} ({result.format})  [dim]{result.ingest_id}[/]{mode}",
        highlight=False,
    )
    console.print("时间 Times: local Asia/Shanghai in the file → stored as UTC", highlight=False)
    table = Table(show_header=False, box=None)
    for key, label in _LABELS.items():
        if result.counts.get(key) or not label.startswith("  "):
            table.add_row(label, f"{result.counts.get(key, 0):,}")
    console.print(table)
    if not result.problems.empty:
        _problems(result)


def _problems(result: ObservationIngestResult) -> None:
    table = Table(title=f"隔离 Quarantined (first {SHOWN})", show_lines=False)
    for col in ("行 row", "字段 field", "值 value", "原因 reason"):
        table.add_column(col)
    for p in result.problems.head(SHOWN).itertuples(index=False):
        row = "" if p.source_row is None or p.source_row != p.source_row else str(int(p.source_row))
        table.add_row(row, str(p.field or ""), str(p.value if p.value is not None else ""), str(p.reason))
    console.print(table)
