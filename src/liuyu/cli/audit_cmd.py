"""`liuyu audit`: who changed what and when, with the record before and after, filtered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace

WorkspaceArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="WS", help="Workspace folder 工作区 (or -w; default: $LIUYU_WORKSPACE / current folder)"
    ),
]


def audit(
    ws_arg: WorkspaceArg = None,
    user: Annotated[str | None, typer.Option("--user", "-u", help="Only this user 操作人")] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Only this target 对象: a category, `ledger`, `ledger:CODE`"),
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", "-a", help="Only this action 操作, e.g. `ledger` or `alert.ack`")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time on 起始时间 (ISO-8601; UTC unless a zone is given)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Before this time 截止时间 (ISO-8601)")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many entries 条数")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one entry each 输出 JSON")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Show the audit log 审计日志: every write, who, when, before and after (newest first)."""
    from liuyu.store import audit as audit_log

    with workspace(ws_path or ws_arg) as ws:
        frame = ws.store.audit_log(
            user=user,
            target=target,
            action=action,
            since=since,
            until=until,
            limit=limit,
        )
    entries = audit_log.decoded(frame)
    if as_json:
        for entry in entries:
            typer.echo(json.dumps(entry, ensure_ascii=False, default=str))
        return
    console.print(_table(entries))


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def _change(entry: dict[str, Any]) -> str:
    """What changed, compactly: ``before → after`` when recorded, else the detail."""
    if entry["before"] is None and entry["after"] is None:
        return _short(entry["detail"], 80)
    return f"{_short(entry['before'], 60) or '∅'} → {_short(entry['after'], 60) or '∅'}"


def _table(entries: list[dict[str, Any]]) -> Table:
    table = Table(title=f"审计日志 Audit log ({len(entries)})", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("id", no_wrap=True, justify="right")
    table.add_column("at (UTC)", no_wrap=True)
    table.add_column("user 操作人", min_width=8, overflow="fold")
    table.add_column("action 操作", no_wrap=True)
    table.add_column("target 对象", no_wrap=True)
    table.add_column("before → after 变更", min_width=20, ratio=1, overflow="fold")
    for e in entries:
        at = str(e["at"])
        table.add_row(str(e["id"]), f"{at[:10]} {at[11:19]}", e["user"], e["action"], e["target"], _change(e))
    return table


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
