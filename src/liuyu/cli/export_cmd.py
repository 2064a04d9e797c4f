"""`liuyu export`: move a workspace's store to PostgreSQL or to a new GeoPackage, and prove it intact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, err_console, workspace

WorkspaceArg = Annotated[
    Path | None,
    typer.Argument(
        metavar="WS", help="Workspace folder 工作区 (or -w; default: $LIUYU_WORKSPACE / current folder)"
    ),
]


def export(
    ws_arg: WorkspaceArg = None,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="Where 目标: postgresql://user@host/db?schema=NAME, or a new .gpkg path",
            show_default=False,
        ),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            "--workspace-dest",
            help="Also make a new workspace folder here 新工作区 (liuyu.toml -> the new store; "
            "copies of sources, rasters, photos...)",
            show_default=False,
        ),
    ] = None,
    user: Annotated[str, typer.Option("--user", "-u", help="Who exports 操作人 (audit)")] = "liuyu",
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON 输出 JSON")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Export the workspace's store 导出工作区: every table copied, then counts and checksums compared.

    Exits with status 1 when any table differs (the new store is kept for inspection).
    """
    from liuyu.store.location import redact
    from liuyu.store.transfer import export_workspace

    def progress(table: str, rows: int) -> None:
        if not as_json:
            err_console.print(f"  {table}: {rows:,}", highlight=False)

    with workspace(ws_path or ws_arg) as ws:
        location, result = export_workspace(ws, to, dest, user=user, progress=progress)
    if as_json:
        typer.echo(json.dumps(_as_dict(redact(location), result), ensure_ascii=False))
    else:
        console.print(_table(result))
        rows = sum(result.copied.values())
        console.print(
            f"导出到 Exported to {redact(location)}{f' (workspace {dest})' if dest else ''}: "
            f"{len(result.copied)} tables, {rows:,} rows; "
            f"copy {result.seconds_copy:.1f} s, verify {result.seconds_verify:.1f} s",
            highlight=False,
        )
    if not result.ok:
        err_console.print(
            f"[bold red]不一致 Mismatch:[/] {', '.join(result.mismatches)} — the copy is not complete",
            highlight=False,
        )
        raise typer.Exit(1)


def _as_dict(location: str, result: object) -> dict[str, object]:
    from liuyu.store.transfer import TransferResult

    assert isinstance(result, TransferResult)
    return {
        "location": location,
        "ok": result.ok,
        "seconds_copy": round(result.seconds_copy, 3),
        "seconds_verify": round(result.seconds_verify, 3),
        "tables": [
            {
                "table": c.table,
                "rows_source": c.source.rows,
                "rows_target": c.target.rows,
                "checksum_source": c.source.hex,
                "checksum_target": c.target.hex,
                "ok": c.ok,
            }
            for c in result.checks
        ],
    }


def _table(result: object) -> Table:
    from liuyu.store.transfer import TransferResult

    assert isinstance(result, TransferResult)
    table = Table(title="逐表核对 Table by table: rows and checksums", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("table 表", overflow="fold")
    for col in ("rows 源", "rows 目标"):
        table.add_column(col, justify="right", no_wrap=True)
    for col in ("checksum 源", "checksum 目标"):
        table.add_column(col, no_wrap=True, min_width=16)
    table.add_column("", no_wrap=True)
    for c in result.checks:
        mark = "[green]✓[/]" if c.ok else "[bold red]✗[/]"
        table.add_row(c.table, f"{c.source.rows:,}", f"{c.target.rows:,}", c.source.hex, c.target.hex, mark)
    return table


def register(app: typer.Typer) -> None:
    app.command("export")(export)
