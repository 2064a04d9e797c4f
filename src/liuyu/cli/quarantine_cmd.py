"""`liuyu quarantine list|show|export`: the features ingests rejected, to fix and send again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
import shapely
import typer
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import IngestError
from liuyu.ingest.problems import label

quarantine_app = typer.Typer(help="Rejected features 隔离区", no_args_is_help=True)
CategoryOpt = Annotated[str | None, typer.Option("--category", "-c", help="Only this category 类别")]
IngestOpt = Annotated[str | None, typer.Option("--ingest", help="Only this ingest id 入库编号")]


def list_(
    category: CategoryOpt = None,
    ingest: IngestOpt = None,
    limit: Annotated[int, typer.Option(help="How many records 条数")] = 50,
    ws_path: WorkspaceOpt = None,
) -> None:
    """List quarantined features 隔离记录 (newest first) and the ingests they came from."""
    with workspace(ws_path) as ws:
        if ingest is None:
            summary = ws.store.quarantine_summary(category=category)
            if not summary.empty:
                _print_summary(summary)
        df = ws.store.quarantine(category=category, ingest_id=ingest, limit=limit)
        if df.empty:
            console.print("隔离区为空 The quarantine is empty.")
            return
        table = Table(title=f"隔离记录 Quarantined features (newest {len(df)})", title_justify="left")
        for col in ("id", "category", "source", "row 行", "reason 原因", "field 字段", "value 值"):
            table.add_column(col, overflow="fold")
        for r in df.itertuples():
            table.add_row(
                str(r.id),
                r.category,
                r.source_name or "",
                _text(r.row),
                label(r.reason),
                _text(r.field),
                _text(r.value),
            )
        console.print(table)


def _print_summary(summary: pd.DataFrame) -> None:
    table = Table(title="按入库 By ingest", title_justify="left")
    for col in ("ingest id", "category", "time (UTC)", "source", "records", "reasons"):
        table.add_column(col, overflow="fold")
    for r in summary.itertuples():
        table.add_row(
            r.ingest_id, r.category, str(r.created_at)[:19], r.source_name or "", f"{r.n:,}", r.reasons
        )
    console.print(table)


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def show(
    record_id: Annotated[int, typer.Argument(help="Record id 记录编号 (from `quarantine list`)")],
    ws_path: WorkspaceOpt = None,
) -> None:
    """Show one quarantined feature in full 详情: every problem, the attributes as delivered, the geometry."""
    with workspace(ws_path) as ws:
        df = ws.store.quarantine(record_id=record_id)
        if df.empty:
            raise IngestError(
                f"no quarantine record {record_id}", hint="list them with `liuyu quarantine list`"
            )
        r = df.iloc[0]
        where = f"{r['category']} ← {r['source_name']} row {_text(r['row'])}"
        origin = f"{r['ingest_id']} · {str(r['source_checksum'] or '')[:12]}"
        console.print(f"[bold]#{r['id']}[/] {where}  [dim]{origin}[/]", highlight=False)
        for p in json.loads(r["problems"] or "[]"):
            bits = [p.get(k) for k in ("field", "value", "detail") if p.get(k)]
            console.print(
                f"  [red]✗[/] {label(p['reason'])}" + (f": {' · '.join(bits)}" if bits else ""),
                highlight=False,
            )
        attrs = json.loads(r["attributes"] or "{}")
        for k, v in attrs.items():
            console.print(f"  {k} = {v!r}", highlight=False)
        geom = shapely.from_wkb(r["geom"]) if r["geom"] is not None else None
        wkt = "—" if geom is None else shapely.to_wkt(geom, rounding_precision=7)
        console.print(f"  geometry (EPSG:4490): {wkt[:400]}{'…' if len(wkt) > 400 else ''}", highlight=False)


def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file 输出文件: .csv or .gpkg")],
    category: CategoryOpt = None,
    ingest: IngestOpt = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Export quarantined features 导出 to CSV (geometry as WKT) or GeoPackage, to send back for fixing."""
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".gpkg"):
        raise IngestError(f"cannot export to {out.name}", hint="use a .csv or .gpkg file name")
    with workspace(ws_path) as ws:
        df = ws.store.quarantine(category=category, ingest_id=ingest)
    geoms = gpd.GeoSeries(
        [None if b is None else shapely.from_wkb(b) for b in df.pop("geom")], crs="EPSG:4490"
    )
    if suffix == ".csv":
        df["wkt"] = geoms.to_wkt().to_numpy()
        df.to_csv(out, index=False, encoding="utf-8-sig")  # with a BOM so Excel reads the Chinese
    else:
        gpd.GeoDataFrame(df, geometry=geoms.values, crs="EPSG:4490").to_file(
            out, driver="GPKG", layer="quarantine", engine="pyogrio"
        )
    console.print(f"已导出 {len(df):,} 条 Exported {len(df):,} records to {out}", highlight=False)


def register(app: typer.Typer) -> None:
    quarantine_app.command("list")(list_)
    quarantine_app.command("show")(show)
    quarantine_app.command("export")(export)
    app.add_typer(quarantine_app, name="quarantine")
