"""`liuyu ingest layer|layers|report` (and `liuyu quarantine`): bring agencies' files in, see what failed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from liuyu.cli import quarantine_cmd
from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import IngestError
from liuyu.ingest.headers import parse_field_map
from liuyu.ingest.problems import label

ingest_app = typer.Typer(help="Ingest agencies' files 数据入库", no_args_is_help=True)
SHOWN = 15


def layer(
    file: Annotated[
        Path,
        typer.Argument(
            help="Delivered file 数据文件 (shp, zip, gpkg, geojson, kml, gdb, dxf, csv, xlsx, tif)"
        ),
    ],
    category: Annotated[
        str, typer.Option("--category", "-c", help="Category code 类别代码 (see `liuyu categories`)")
    ],
    crs: Annotated[
        str | None,
        typer.Option(help="Source CRS 源坐标系 if the file has none or a wrong one: EPSG:N, gcj02, bd09"),
    ] = None,
    towgs84: Annotated[
        str | None,
        typer.Option(help="Beijing 1954 / Xian 1980 → WGS 84 parameters dx,dy,dz[,rx,ry,rz,ds] 转换参数"),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="Text encoding 编码 of a shapefile or CSV, e.g. gbk")
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Delivering agency 提供单位")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Jurisdiction code 行政辖区, e.g. hebei")] = None,
    layer_name: Annotated[
        str | None, typer.Option("--layer", help="Layer of a multi-layer file 图层")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report only; write nothing else 试运行")
    ] = False,
    scope: Annotated[
        str | None,
        typer.Option(
            help="What the delivery replaces 更新范围: all, jurisdiction (default with a jurisdiction), area"
        ),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(
            help="For --scope area: a polygon file or WKT in EPSG:4490 (default: the delivery's convex hull)"
        ),
    ] = None,
    field_map: Annotated[
        list[str] | None,
        typer.Option("--map", help="Map a column to a field 字段对应: SOURCE=FIELD (repeatable)"),
    ] = None,
    user: Annotated[str, typer.Option(help="Who is ingesting 操作人")] = "liuyu",
    licence: Annotated[str | None, typer.Option(help="Licence or sharing terms 许可")] = None,
    note: Annotated[str | None, typer.Option(help="Note kept with the version 备注")] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Ingest one layer 数据入库: read, reproject to CGCS2000, standardize, validate, version, report."""
    with workspace(ws_path) as ws:
        result = ws.ingest_layer(
            file,
            category,
            crs=crs,
            towgs84=towgs84,
            encoding=encoding,
            agency=agency,
            jurisdiction=jurisdiction,
            layer=layer_name,
            dry_run=dry_run,
            scope=scope,
            area=area,
            user=user,
            licence=licence,
            note=note,
            field_map=parse_field_map(field_map),
        )
        print_summary(result.report, ws.root)


def layers(file: Annotated[Path, typer.Argument(help="Delivered file 数据文件")]) -> None:
    """List the layers of a file 列出图层 (choose one with `ingest layer --layer NAME`)."""
    from liuyu.ingest.readers import list_layers

    for name in list_layers(file):
        console.print(name, highlight=False)


def report(
    ingest_id: Annotated[
        str, typer.Argument(help="Ingest id 入库编号 (in `liuyu versions` and the quarantine)")
    ],
    ws_path: WorkspaceOpt = None,
) -> None:
    """Show a stored ingest report 入库报告 again."""
    from liuyu.ingest import report as reports

    with workspace(ws_path) as ws:
        try:
            data = reports.load(ws.root, ingest_id)
        except (FileNotFoundError, ValueError) as exc:
            raise IngestError(
                f"no ingest report {ingest_id!r}", hint=f"reports are in {ws.root / reports.REPORT_DIR}"
            ) from exc
        print_summary(data, ws.root)


def print_summary(r: dict[str, Any], root: Path) -> None:
    """The report as a person reads it in a terminal: status, counts, reasons, fields, first problems."""
    c = r["counts"]
    console.print(
        f"[bold]{r['category']['name_zh']} {r['category']['code']}[/] ← {r['source']['name']}  "
        f"[dim]{r['ingest_id']}[/]",
        highlight=False,
    )
    console.print(_status(r), highlight=False)
    console.print(
        f"输入 input [bold]{c['input']:,}[/] = 接受 accepted [green]{c['accepted']:,}[/] + 隔离 quarantined "
        f"[red]{c['quarantined']:,}[/]   修复 repaired [yellow]{c['repaired']:,}[/]   警告 warnings "
        f"[yellow]{c['warnings']:,}[/]",
        highlight=False,
    )
    crs = r.get("crs", {})
    deoffset = f", de-offset {crs['deoffset']}" if crs.get("deoffset") else ""
    console.print(f"坐标系 CRS: {crs.get('source')} ({crs.get('how')}){deoffset}", highlight=False)
    _reasons(r)
    _fields(r)
    _problems(r)
    files = r.get("files") or {}
    if files:
        console.print(f"报告 Report: {root / files['html']}  (JSON: {root / files['json']})", highlight=False)


def _status(r: dict[str, Any]) -> str:
    if r["status"] == "written":
        v = r["version"]
        scope = f", scope {v['scope']}" if v.get("scope") else ""
        changes = f"+{v.get('added', 0)} ~{v.get('changed', 0)} -{v.get('removed', 0)}"
        head = f"[green]已写入第 {v['number']} 版 written version {v['number']}[/]{scope}"
        return f"{head}: {changes}, {v['features']:,} features"
    if r["status"] == "unchanged":
        return (
            f"[cyan]内容未变，未生成新版本 — same content as version {r.get('unchanged_version')}, "
            "no new version[/]"
        )
    if r["status"] == "rejected":
        return "[red]所有记录均被隔离，未生成新版本 — every row was quarantined: no version written[/]"
    return "[cyan]试运行：除报告外未写入任何内容 — dry run: nothing written but this report[/]"


def _reasons(r: dict[str, Any]) -> None:
    if not r.get("reasons"):
        console.print("[green]没有发现问题 No problems found.[/]")
        return
    table = Table(title="问题 Problems", title_justify="left")
    for col in ("级别 severity", "原因 reason", "数量 count"):
        table.add_column(col)
    colour = {"error": "red", "warning": "yellow", "info": "blue"}
    for x in r["reasons"]:
        sev = x["severity"]
        table.add_row(f"[{colour.get(sev, 'white')}]{sev}[/]", x["label"], f"{x['count']:,}")
    console.print(table)


def _fields(r: dict[str, Any]) -> None:
    f = r.get("fields") or {}
    converted = [m for m in f.get("mapped", []) if m.get("unit")]
    for m in converted:
        console.print(f"单位 unit: {m['source']} → {m['field']} (× {m['factor']:g})", highlight=False)
    if f.get("unmapped"):
        console.print(
            f"未对应字段（保存在 extra）unmapped, kept in extra: {', '.join(f['unmapped'])}", highlight=False
        )
    for field, names in (f.get("codelist_names") or {}).items():
        pairs = "; ".join(f"{k} → {v}" for k, v in list(names.items())[:8])
        console.print(f"代码转换 names → codes ({field}): {pairs}", highlight=False)


def _problems(r: dict[str, Any]) -> None:
    notes = [n for n in r.get("notes", []) if n["severity"] != "info"]
    for n in notes[:SHOWN]:
        console.print(f"[yellow]![/] {label(n['reason'])}: {n['message']}", highlight=False)
    shown = [p for p in r.get("problems", []) if p["severity"] != "info"][:SHOWN]
    if not shown:
        return
    table = Table(title=f"前 {len(shown)} 条 First problems", title_justify="left")
    for col in ("row 行", "reason 原因", "field 字段", "value 值", "detail 说明"):
        table.add_column(col, overflow="fold")
    for p in shown:
        table.add_row(
            str(p.get("row", "")),
            p["reason"],
            p.get("field") or "",
            p.get("value") or "",
            p.get("detail") or "",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    for fn in (layer, layers, report):
        ingest_app.command(fn.__name__)(fn)
    app.add_typer(ingest_app, name="ingest")
    quarantine_cmd.register(app)
