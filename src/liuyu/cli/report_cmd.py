"""`liuyu report monthly`: the monthly water bulletin as a self-contained HTML page or an A4 PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import ConfigError

report_app = typer.Typer(
    help="Reports 报告: the monthly water bulletin 水环境质量月报.", no_args_is_help=True
)


def monthly(
    month: Annotated[str, typer.Option("--month", "-m", help="Month 月份, e.g. 2024-08", show_default=False)],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="FILE.html or FILE.pdf 输出文件", show_default=False)
    ],
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en 语言")] = "zh",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Write the monthly bulletin 月报 (assesses the month first when needed)."""
    from liuyu.report.monthly import build_monthly
    from liuyu.report.render import render_html, render_pdf, texts

    texts(lang)  # an unknown language fails before any work
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ConfigError(f"cannot tell the format of {out.name}", hint="name the file .html or .pdf")
    with workspace(ws_path) as ws:
        bulletin = build_monthly(ws, month)
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".pdf":
        out.write_bytes(render_pdf(bulletin, lang))
    else:
        out.write_text(render_html(bulletin, lang), encoding="utf-8")
    s = bulletin.summary
    met = f"达标 met {s['n_met']}/{s['n_with_target']}"
    console.print(f"{bulletin.month}: {s['n_sections']} 断面 sections, {met} → {out}", highlight=False)


def register(app: typer.Typer) -> None:
    report_app.command("monthly")(monthly)
    app.add_typer(report_app, name="report")
