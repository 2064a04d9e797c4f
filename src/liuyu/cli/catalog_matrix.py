"""The completeness matrix of `liuyu catalog`: category x jurisdiction, as a terminal table."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from liuyu.catalog.completeness import completeness
from liuyu.cli.options import console
from liuyu.workspace import Workspace

_MARK = {
    "present": "[green]● 齐全 present[/]",
    "partial": "[yellow]◐ 部分 partial[/]",
    "missing": "[red]○ 缺失 missing[/]",
}


def print_matrix(ws: Workspace) -> None:
    """One row per category, one column per jurisdiction: status, features, last update, stale."""
    entries = completeness(ws)
    days = ws.config.catalog.stale_after_days
    table = Table(
        title=f"完整性 Completeness (过期 stale = older than {days} days; \\[catalog] stale_after_days)",
        title_justify="left",
    )
    table.add_column("code 代码")
    for j in ws.config.jurisdictions:
        table.add_column(f"{j.name_zh} {j.name_en}", overflow="fold")
    table.add_column("unassigned 未分辖区", justify="right")
    table.add_column("last report 最近报告", overflow="fold")
    for e in entries:
        cells = [_cell(e["jurisdictions"][j.code]) for j in ws.config.jurisdictions]
        table.add_row(e["code"], *cells, f"{e['unassigned']:,}" if e["unassigned"] else "", e["report"] or "")
    console.print(table)


def _cell(c: dict[str, Any]) -> str:
    parts = [_MARK.get(c["status"], c["status"])]
    if c["features"]:
        parts.append(f"{c['features']:,}")
    if c["coverage"] is not None:
        parts.append(f"{c['coverage']:.0%}")
    if c["updated"]:
        parts.append(str(c["updated"])[:10])
    if c["stale"]:
        parts.append("[magenta]过期 stale[/]")
    return " ".join(parts)
