"""The `liuyu` command: one module per command group, errors printed without tracebacks."""

from __future__ import annotations

import sys

import typer

from liuyu.cli import (
    alerts_cmd,
    analyze_cmd,
    assess_cmd,
    audit_cmd,
    categories_cmd,
    compensation_cmd,
    db_cmd,
    demo_cmd,
    export_cmd,
    facilities_cmd,
    gates_cmd,
    ingest_cmd,
    ingest_obs_cmd,  # noqa: F401  (registers `ingest observations`)
    ingest_stations_cmd,  # noqa: F401  (registers `ingest stations`)
    ledger_cmd,
    qc_cmd,
    report_cmd,
    serve_cmd,
    user_cmd,
    warnings_cmd,
    workspace_cmds,
)
from liuyu.cli.options import err_console
from liuyu.errors import LiuyuError

app = typer.Typer(
    name="liuyu",
    help="流域 Liuyu: one map and one monitoring network for a river basin. 一张图，一张网。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
workspace_cmds.register(app)
categories_cmd.register(app)
demo_cmd.register(app)
serve_cmd.register(app)
ingest_cmd.register(app)
assess_cmd.register(app)
alerts_cmd.register(app)
report_cmd.register(app)
analyze_cmd.register(app)
ledger_cmd.register(app)
facilities_cmd.register(app)
compensation_cmd.register(app)
warnings_cmd.register(app)
gates_cmd.register(app)
qc_cmd.register(app)
audit_cmd.register(app)
export_cmd.register(app)
user_cmd.register(app)
db_cmd.register(app)


def main() -> None:
    """Entry point: a LiuyuError becomes a clear message and exit code 1, never a traceback."""
    try:
        app(standalone_mode=False)
    except LiuyuError as exc:
        err_console.print(f"[bold red]错误 Error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err_console.print(f"[yellow]→ {exc.hint}[/]", highlight=False)
        sys.exit(1)
    except typer.Abort:
        err_console.print("已取消 Aborted.")
        sys.exit(130)
    except Exception as exc:  # click usage errors come through here in standalone_mode=False
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise
