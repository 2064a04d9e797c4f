"""`liuyu warnings check`: rainstorm signals from the rain gauges and reservoir levels, raised as alerts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import pandas as pd
import typer

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import SchemaError

warnings_app = typer.Typer(help="Warnings 预警: rainstorm signals and reservoir levels", no_args_is_help=True)


def _when(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        t = pd.Timestamp(text)
    except ValueError as exc:
        raise SchemaError(
            f"cannot read the time {text!r}", hint="write e.g. 2024-07-30 or 2024-07-30T08:00"
        ) from exc
    return (t.tz_localize("Asia/Shanghai") if t.tzinfo is None else t).to_pydatetime()


def check(
    since: Annotated[
        str | None,
        typer.Option("--since", help="From this time (local if no zone) 起始时间; default: all data"),
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this time 截止时间")] = None,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Store alerts but do not send them 不发送")
    ] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Evaluate the warnings 检查预警 (CMA rainstorm signals on observed rain; reservoir levels)."""
    from liuyu.manage.warnings_run import check as run

    with workspace(ws_path) as ws:
        result = run(ws, _when(since), _when(until))
        sent = failed = 0
        if not no_send:
            from liuyu.assess.alert_channels import channels
            from liuyu.assess.alerts_run import send_unsent

            sent, fails = send_unsent(ws, channels(ws.config.alerts))
            failed = len(fails)
    by_level = result.events["level"].value_counts().to_dict() if len(result.events) else {}
    console.print(
        f"站点 Stations {result.stations}; 暴雨事件 rainstorm events {len(result.events)} {by_level}; "
        f"新增 new {len(result.new)}, 持续 still active {result.seen}, 已解除 resolved {result.resolved}; "
        f"已发送 sent {sent}, 发送失败 failed {failed}",
        highlight=False,
    )


warnings_app.command("check")(check)


def register(app: typer.Typer) -> None:
    app.add_typer(warnings_app, name="warnings")
