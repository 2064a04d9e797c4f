"""`liuyu qc`: re-run the QC rules over stored series, and correct values (new revisions, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import IngestError

qc_app = typer.Typer(
    help="质量控制 Quality control: re-run the rules, correct values (raw values are never overwritten).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(qc_app, name="qc")


@qc_app.command("run")
def run(
    station: Annotated[str | None, typer.Option(help="Only this station 仅此站点")] = None,
    prop: Annotated[str | None, typer.Option("--property", help="Only this property 仅此项目")] = None,
    user: Annotated[str, typer.Option(help="Who runs it 操作人")] = "liuyu",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Re-run QC 重新质控 over whole stored series; changed flags are stored as new revisions."""
    with workspace(ws_path) as ws:
        result = ws.store.rerun_qc(station_code=station, property_code=prop, user=user)
    console.print(f"检查 checked: {result['checked']:,}   标记变化 flags changed: {result['changed']:,}")
    for name, n in sorted(result["flags"].items()):
        console.print(f"  {name or '(cleared 清除)'}: {n:,}")


@qc_app.command("correct")
def correct(
    station: Annotated[str | None, typer.Option(help="Station code 站码")] = None,
    prop: Annotated[str | None, typer.Option("--property", help="Property code 项目代码, e.g. tp")] = None,
    time: Annotated[
        str | None, typer.Option(help="Time with zone 时间（含时区）, e.g. 2024-08-05T08:00+08:00")
    ] = None,
    value: Annotated[float | None, typer.Option(help="Corrected value 更正值 (canonical unit)")] = None,
    reason: Annotated[str | None, typer.Option(help="Why 更正原因")] = None,
    method: Annotated[str, typer.Option(help="Series method 方法")] = "",
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", help="CSV of corrections: station_code,property_code,phenomenon_time,value,reason"
        ),
    ] = None,
    user: Annotated[str, typer.Option(help="Who corrects 操作人")] = "liuyu",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Correct values 更正数据: each becomes a new revision; the old value is kept and audited."""
    if file is not None:
        frame = pd.read_csv(file, dtype={"station_code": str, "property_code": str, "method": str})
    elif None in (station, prop, time, value, reason):
        raise IngestError(
            "a correction needs --station, --property, --time, --value and --reason (or --file)",
            hint="e.g. liuyu qc correct --station S1 --property tp --time 2024-08-05T08:00+08:00 "
            "--value 0.05 --reason '录入错误 typo'",
        )
    else:
        frame = pd.DataFrame(
            {
                "station_code": [station],
                "property_code": [prop],
                "method": [method],
                "phenomenon_time": [time],
                "value": [value],
                "reason": [reason],
            }
        )
    frame["phenomenon_time"] = pd.to_datetime(frame["phenomenon_time"], utc=False, format="ISO8601")
    with workspace(ws_path) as ws:
        n = ws.store.correct_observations(frame, user=user)
    console.print(f"已更正 corrected: {n} (新修订版本 new revisions; 原值保留 old values kept)")
