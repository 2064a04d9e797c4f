"""`liuyu compensation`: the ecological compensation statement of a year or a month, per county."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace


def compensation(
    year: Annotated[int, typer.Option("--year", "-y", help="Year of the statement 年度")],
    month: Annotated[
        str | None,
        typer.Option("--month", "-m", help="A month of that year, e.g. 2024-08 月度", show_default=False),
    ] = None,
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement", "-a", help="Agreement file 补偿协议 (default: the shipped example, 示例)"
        ),
    ] = None,
    control: Annotated[
        Path | None,
        typer.Option(
            "--control",
            help="Pollution-control inputs CSV 污染防治指标 (default: manage/compensation/control.csv)",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write .xlsx, .csv or .json 输出文件")
    ] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Compute the compensation statement 生态补偿核算: quantity, quality, TN reward, pollution control."""
    from liuyu.manage.compensation_run import compute, write

    with workspace(ws_path) as ws:
        result = compute(ws, year, month, agreement=agreement, control=control)
    ag = result.agreement
    if ag.example:
        console.print(f"[yellow]{ag.notice_zh}\n{ag.notice_en}[/]", highlight=False)
    table = Table(title=f"{ag.name_zh} — {result.period} ({ag.currency})")
    for col in ("county", "county_name", "quantity", "quality", "control", "tn_reward", "total"):
        table.add_column(col, justify="right" if col not in ("county", "county_name") else "left")
    for r in result.totals.to_dict("records"):
        table.add_row(
            r["county"],
            r["county_name"],
            *(f"{r.get(c, 0.0):,.2f}" for c in ("quantity", "quality", "control", "tn_reward", "total")),
        )
    console.print(table)
    if out is not None:
        console.print(f"已写出 Written: {write(result, out)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("compensation")(compensation)
