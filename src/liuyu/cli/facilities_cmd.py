"""`liuyu facilities list|status|proposals|propose|approve|reject`: rural sewage facilities (农村污水设施)."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.access import BASIN
from liuyu.cli.ledger_cmd import JurOpt, RoleOpt, UserOpt, actor
from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import LiuyuError

facilities_app = typer.Typer(
    help="Rural sewage facilities 农村污水处理设施: registry, state, proposed changes", no_args_is_help=True
)
PeriodOpt = Annotated[
    str | None, typer.Option("--period", "-p", help="Discharge period, e.g. 2024-08 评价时段")
]


def _state_names() -> dict[str, str]:
    from liuyu.manage.facilities import settings

    return {s["code"]: f"{s['name_zh']} {s['name_en']}" for s in settings()["states"]}


def list_(
    state: Annotated[
        str | None, typer.Option("--state", "-s", help="running, over_limit, offline, no_data")
    ] = None,
    period: PeriodOpt = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Facilities with their state 设施列表 (running, over limit, offline, no data)."""
    from liuyu.manage.facilities_ops import status

    with workspace(ws_path) as ws:
        table_df, meta = status(ws, period=period)
    if state:
        table_df = table_df[table_df["state"] == state]
    names = _state_names()
    table = Table(title=f"农村污水设施 Facilities: {len(table_df)} (period {meta['period'] or '—'})")
    for col in (
        "编码 Code",
        "名称 Name",
        "村 Village",
        "规模 m³/d",
        "工艺 Process",
        "标准 Standard",
        "站点",
        "状态 State",
    ):
        table.add_column(col)
    for r in table_df.itertuples(index=False):
        extra = f" ({r.over})" if r.over else ""
        cap = f"{r.capacity_m3d:g}" if pd.notna(r.capacity_m3d) else ""
        std = f"{r.standard or ''} {r.standard_class or ''}"
        table.add_row(
            r.code,
            r.name or "",
            r.village or "",
            cap,
            r.process or "",
            std,
            r.stations,
            names[r.state] + extra,
        )
    console.print(table)


def status(period: PeriodOpt = None, ws_path: WorkspaceOpt = None) -> None:
    """How many facilities are in each state 设施状态汇总."""
    from liuyu.manage.facilities_ops import status as run

    with workspace(ws_path) as ws:
        table_df, meta = run(ws, period=period)
    as_of = "—" if meta["as_of"] is None else pd.Timestamp(meta["as_of"], unit="s", tz="UTC").isoformat()
    console.print(f"时段 Period {meta['period'] or '—'}, 截至 as of {as_of}", highlight=False)
    for code, name in _state_names().items():
        console.print(f"  {name}: {int((table_df['state'] == code).sum())}", highlight=False)


def proposals(
    state: Annotated[
        str | None, typer.Option("--state", "-s", help="pending, approved, rejected")
    ] = "pending",
    all_: Annotated[bool, typer.Option("--all", help="Every state 全部")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Proposed changes to facility records 变更申请."""
    from liuyu.manage.facilities_ops import proposals as read

    with workspace(ws_path) as ws:
        rows = read(ws, state=None if all_ else state)
    table = Table(title=f"变更申请 Proposals: {len(rows)}")
    for col in (
        "ID",
        "设施 Facility",
        "变更 Changes",
        "理由 Reason",
        "申请人 By",
        "状态 State",
        "版本 Version",
    ):
        table.add_column(col)
    for r in rows.itertuples(index=False):
        changes = "; ".join(f"{k}: {r.before.get(k)} → {v}" for k, v in r.fields.items())
        ver = "" if pd.isna(r.version) else str(r.version)
        table.add_row(str(r.id), r.facility_code, changes, r.reason or "", r.proposed_by, r.state, ver)
    console.print(table)


def propose(
    code: Annotated[str, typer.Argument(help="Facility code 设施编号")],
    changes: Annotated[list[str], typer.Argument(help="FIELD=VALUE ..., e.g. capacity_m3d=80 process=MBR")],
    reason: Annotated[
        str | None, typer.Option("--reason", "-r", help="What the inspection found 核查情况")
    ] = None,
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Propose changes to a facility's record 提出变更 (an editor approves them)."""
    from liuyu.manage.facilities_ops import propose as run

    bad = [c for c in changes if "=" not in c]
    if bad:
        raise LiuyuError(f"not FIELD=VALUE: {bad}", hint="write e.g. capacity_m3d=80")
    fields = dict(c.split("=", 1) for c in changes)
    with workspace(ws_path) as ws:
        pid = run(ws, actor(user, role, as_jurisdiction), code, fields, reason)
    console.print(f"变更申请 proposal #{pid} recorded for {code}", highlight=False)


def approve(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id 申请编号")],
    note: Annotated[str | None, typer.Option("--note", "-n", help="Decision note 审核意见")] = None,
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Approve a proposal 批准变更: a new version of the facilities layer."""
    from liuyu.manage.facilities_ops import approve as run

    with workspace(ws_path) as ws:
        info = run(ws, actor(user, role, as_jurisdiction), proposal_id, note)
    ver = "unchanged 无变化" if info is None else f"version {info.version} ({info.n_changed} changed)"
    console.print(f"已批准 Approved #{proposal_id}: sewage_facilities {ver}", highlight=False)


def reject(
    proposal_id: Annotated[int, typer.Argument(help="Proposal id 申请编号")],
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why 理由")] = None,
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Reject a proposal 驳回变更; the record stays as it is."""
    from liuyu.manage.facilities_ops import reject as run

    with workspace(ws_path) as ws:
        run(ws, actor(user, role, as_jurisdiction), proposal_id, note)
    console.print(f"已驳回 Rejected #{proposal_id}", highlight=False)


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("list", list_), ("status", status), ("proposals", proposals), ("propose", propose),
        ("approve", approve), ("reject", reject),
    ):  # fmt: skip
        facilities_app.command(name)(fn)
    app.add_typer(facilities_app, name="facilities")
