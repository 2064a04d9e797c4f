"""`liuyu ingest stations`: a station list merged into the one registry, codes reconciled."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from liuyu.cli.ingest_cmd import ingest_app, print_summary
from liuyu.cli.options import WorkspaceOpt, console, workspace


def stations(
    file: Annotated[Path, typer.Argument(help="Station list 站点表 (csv, xlsx)")],
    crs: Annotated[
        str | None,
        typer.Option(help="Source CRS 源坐标系 of the coordinates: EPSG:N, gcj02, bd09"),
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Delivering agency 提供单位")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Jurisdiction code 行政辖区, e.g. hebei")] = None,
    distance_m: Annotated[
        float,
        typer.Option("--distance", min=0, help="Same-name stations this close (m) are one 同名站合并距离"),
    ] = 200.0,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check, reconcile and report only; write no version 试运行")
    ] = False,
    user: Annotated[str, typer.Option(help="Who is ingesting 操作人")] = "liuyu",
    note: Annotated[str | None, typer.Option(help="Note kept with the version 备注")] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Ingest stations 站点入库: read, standardize, reconcile codes with the registry, version."""
    from liuyu.network.stations import ingest_stations

    with workspace(ws_path) as ws:
        result = ingest_stations(
            ws,
            file,
            crs=crs,
            agency=agency,
            jurisdiction=jurisdiction,
            distance_m=distance_m,
            dry_run=dry_run,
            user=user,
            note=note,
        )
        print_summary(result.report, ws.root)
        c = result.reconciliation["counts"]
        console.print(
            f"代码对应 reconciled: 同码 code [bold]{c['code']}[/]  别名 alias [bold]{c['alias']}[/]  "
            f"同名同址 name [bold]{c['name']}[/]  新站 new [bold]{c['new']}[/]  → 站点 stations "
            f"[bold]{c['stations']}[/]",
            highlight=False,
        )
        print_disagreements(result.reconciliation.get("disagreements", []))


#: Rows of the disagreements table printed; the report (JSON, version report) keeps all of them.
SHOWN = 20


def print_disagreements(rows: list[dict[str, Any]]) -> None:
    """Where two agencies' lists disagree about one station: field, both values, who won.

    The winner follows network/station_priority.toml (or the default rule it describes); the
    person ingesting sees each decision here, so a wrong priority is noticed at once.
    """
    if not rows:
        console.print("单位间无分歧 no disagreements between agencies", highlight=False)
        return
    table = Table(
        title=f"单位间分歧 Disagreements between agencies ({len(rows)}"
        + (f", first {SHOWN}" if len(rows) > SHOWN else "")
        + ") — network/station_priority.toml",
        title_justify="left",
    )
    for name in (
        "站点 station",
        "来码 delivered",
        "字段 field",
        "登记值 registered",
        "来值 delivered",
        "采用 kept",
    ):
        table.add_column(name, overflow="fold")
    for d in rows[:SHOWN]:
        ours, theirs = d.get("registered_agency") or "—", d.get("delivered_agency") or "—"
        won = f"登记 registered ({ours})" if d["winner"] == "registered" else f"来文 delivered ({theirs})"
        table.add_row(
            str(d["station"]),
            str(d["delivered"]),
            str(d["field"]),
            _short(d.get("registered")),
            _short(d.get("delivered_value")),
            won,
        )
    console.print(table)


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


ingest_app.command("stations")(stations)
