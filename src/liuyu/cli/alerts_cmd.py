"""`liuyu alerts check|list|ack`: raise, list and acknowledge alerts (and the discharge table of `assess`)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import SchemaError

alerts_app = typer.Typer(help="Alerts 告警: check, list, acknowledge", no_args_is_help=True)
UNVERIFIED = "未核实 unverified"


def check(
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            "-p",
            help="2024-08, 2024-Q3 or 2024 评价时段 (default: the last complete month with lab data)",
            show_default=False,
        ),
    ] = None,
    no_send: Annotated[
        bool, typer.Option("--no-send", help="Store alerts but do not send them 不发送")
    ] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Evaluate the alert rules 检查告警: sections below target, eutrophic reservoir, facilities over limit,
    silent stations. New alerts are stored once and sent through the configured channels."""
    from liuyu.assess.alerts_run import check_alerts
    from liuyu.assess.run import latest_complete_month, parse_period, workspace_seasons

    with workspace(ws_path) as ws:
        label = period or latest_complete_month(ws)
        result = check_alerts(
            ws, parse_period(label, workspace_seasons(ws)) if label else None, send=not no_send
        )
    console.print(
        f"时段 Period {result.period or '—'}: 新增 new {len(result.new)}, 持续 still active {result.seen}, "
        f"重新打开 reopened {result.reopened}, 已解除 resolved {result.resolved}; "
        f"已发送 sent {result.sent}, 发送失败 failed {len(result.failed)}",
        highlight=False,
    )
    for alert_id, error in result.failed.items():
        console.print(f"[yellow]告警 #{alert_id} 未发送 not sent: {error}[/]", highlight=False)


def list_(
    state: Annotated[
        str | None, typer.Option("--state", "-s", help="open, acknowledged or resolved 状态")
    ] = "open",
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Alert kind 类型")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every state 全部")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """List alerts 告警列表 (open ones by default)."""
    from liuyu.store import gpkg_alerts
    from liuyu.store.gpkg_tables import sql_conn

    if state not in gpkg_alerts.STATES and not all_:
        raise SchemaError(f"unknown state {state!r}", hint="use open, acknowledged or resolved")
    with workspace(ws_path) as ws:
        rows = gpkg_alerts.read(sql_conn(ws.store), state=None if all_ else state, kind=kind)
    table = Table(title=f"告警 Alerts ({'all' if all_ else state}): {len(rows)}")
    for col in (
        "ID",
        "类型 Kind",
        "级别 Severity",
        "状态 State",
        "对象 Subject",
        "时段 Period",
        "消息 Message",
        "最近 Last seen",
    ):
        table.add_column(col)
    for r in rows.itertuples(index=False):
        table.add_row(
            str(r.id), r.kind, r.severity, r.state, r.subject, r.period or "", r.message_zh, r.last_seen[:19]
        )
    console.print(table)


def ack(
    alert_id: Annotated[int, typer.Argument(help="Alert id 告警编号")],
    note: Annotated[str | None, typer.Option("--note", "-n", help="Note 备注")] = None,
    user: Annotated[str, typer.Option("--user", "-u", help="Who acknowledges 确认人")] = "liuyu",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Acknowledge an alert 确认告警 (it is resolved automatically when its condition clears)."""
    from liuyu.store import gpkg_alerts
    from liuyu.store.base import utc_now
    from liuyu.store.gpkg_tables import sql_store

    with workspace(ws_path) as ws, sql_store(ws.store).transaction() as conn:
        gpkg_alerts.acknowledge(conn, alert_id, user, note, utc_now())
    console.print(f"告警 #{alert_id} 已确认 acknowledged by {user}", highlight=False)


def print_discharge(period: str, rows: pd.DataFrame) -> None:
    """The exceedances and unverified results of a discharge-compliance table, for `liuyu assess`."""
    over = rows[rows["exceed"].astype("boolean").fillna(False).astype(bool)]
    unverified = int((~rows["verified"].astype(bool)).sum())
    table = Table(title=f"{period} 排放超标 Discharge exceedances: {len(over)} of {len(rows)} results")
    for col in ("站点 Station", "标准 Standard", "指标 Item", "值 Value", "限值 Limit", "超标倍数 Multiple"):
        table.add_column(col)
    for r in over.itertuples(index=False):
        limit = f"{r.limit:g}" if pd.notna(r.limit) else f"{r.limit_low:g}–{r.limit_high:g}"
        mult = "" if pd.isna(r.multiple) else f"{r.multiple:.2f}"
        table.add_row(
            r.station_code,
            f"{r.standard_code} {r.standard_class}",
            r.property_code,
            f"{r.value:g}",
            limit,
            mult,
        )
    console.print(table)
    if unverified:
        console.print(
            f"{UNVERIFIED}: {unverified} results depend on limits not yet verified (DB11/1612-2019)",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    alerts_app.command("check")(check)
    alerts_app.command("list")(list_)
    alerts_app.command("ack")(ack)
    app.add_typer(alerts_app, name="alerts")
