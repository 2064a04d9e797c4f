"""`liuyu assess`: classify the water-quality sections over a period and print the table."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import StoreError


def assess(
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2024-08, 2024-Q3, 2024-wet (丰水期; -normal, -dry, -flood) or 2024 评价时段 "
            "(default: the last complete month with data)",
            show_default=False,
        ),
    ] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Assess water quality 水质评价 by GB 3838-2002 and store the result (recomputed when inputs change)."""
    from liuyu.assess.run import assess_lakes, assess_period, latest_complete_month

    with workspace(ws_path) as ws:
        chosen = period or latest_complete_month(ws)
        if chosen is None:
            raise StoreError(
                "no lab samples of water-quality sections to assess",
                hint="ingest lab results first (`liuyu ingest observations FILE`)",
            )
        rows = assess_period(ws, chosen)
        lakes = assess_lakes(ws, chosen)
        from liuyu.assess.discharge import discharge_compliance
        from liuyu.assess.run import parse_period, workspace_seasons

        discharge = discharge_compliance(ws, parse_period(chosen, workspace_seasons(ws)))
    if rows.empty:
        raise StoreError(
            f"no lab samples of water-quality sections in {chosen}", hint="choose another --period"
        )
    _print(chosen, rows)
    _print_lakes(lakes)
    if len(discharge):
        from liuyu.cli.alerts_cmd import print_discharge

        print_discharge(chosen, discharge)


def _print(period: str, rows: pd.DataFrame) -> None:
    from liuyu.assess.run import class_proportions

    table = Table(title=f"{period} 断面水质类别 Section water quality (GB 3838-2002)")
    for col in (
        "断面 Section",
        "类别 Class",
        "目标 Target",
        "达标 Met",
        "主要污染指标 Main pollutants",
        "样品 n",
    ):
        table.add_column(col)
    for r in rows.itertuples(index=False):
        met = "" if pd.isna(r.met) else ("达标 yes" if r.met else "未达标 no")
        table.add_row(r.station_code, r.label, r.target, met, r.main_pollutants or "", str(r.n_samples))
    console.print(table)
    shares = class_proportions(rows)
    console.print(
        "类别比例 Class proportions: " + "  ".join(f"{k} {v:.1f}%" for k, v in shares.items()),
        highlight=False,
    )


def _print_lakes(lakes: pd.DataFrame) -> None:
    """Lakes and reservoirs as water bodies: the mean over their points (time, then space)."""
    if lakes.empty:
        return
    table = Table(title="湖库（各点位先时间后空间均值）Lakes and reservoirs (points averaged)")
    for col in (
        "水体 Water body",
        "点位 Points",
        "类别 Class",
        "目标 Target",
        "达标 Met",
        "主要污染指标 Main pollutants",
    ):
        table.add_column(col)
    for r in lakes.itertuples(index=False):
        met = "" if pd.isna(r.met) else ("达标 yes" if r.met else "未达标 no")
        table.add_row(str(r.name), str(r.n_points), r.label, r.target, met, r.main_pollutants or "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)
