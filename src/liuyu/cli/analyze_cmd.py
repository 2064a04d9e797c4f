"""`liuyu analyze` (zonal, cross, coverage) and `liuyu derive steep-slopes`: run, print, save, store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.cli.options import WorkspaceOpt, console, workspace

if TYPE_CHECKING:
    from liuyu.analysis.results import AnalysisResult

analyze_app = typer.Typer(
    help="Analyse by zone 分区统计, cross-analyses 交叉分析, network coverage 站网覆盖."
)
derive_app = typer.Typer(help="Derive layers from others 派生图层 (steep slopes from the DEM).")

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", help="Save the table: FILE.csv (+ FILE.csv.meta.json) or FILE.xlsx 保存结果表"
    ),
]
NoWriteOpt = Annotated[
    bool, typer.Option("--no-layer", help="Do not store the result layer in the catalogue 不写入结果图层")
]


def _show(
    result: AnalysisResult, title: str, out: Path | None, limit: int = 40, columns: list[str] | None = None
) -> None:
    table = Table(title=title)
    shown = result.table.head(limit)
    if columns is not None:  # the terminal is narrow: the saved table keeps every column
        shown = shown[[c for c in columns if c in shown.columns]]
    for col in shown.columns:
        table.add_column(str(col))
    for row in shown.itertuples(index=False):
        table.add_row(*(_fmt(v) for v in row))
    console.print(table)
    if len(result.table) > limit:
        console.print(f"… {len(result.table) - limit} more rows 行未显示 (use --out)", highlight=False)
    inputs = ", ".join(f"{k} v{v}" for k, v in result.inputs.items())
    console.print(f"输入版本 Inputs: {inputs}", highlight=False)
    if result.layer_category:
        console.print(f"结果图层 Layer: {result.layer_category} v{result.written_version}", highlight=False)
    if out is not None:
        console.print(f"已保存 Saved: {result.write(out)}", highlight=False)


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "" if pd.isna(v) else (f"{v:.1f}" if abs(v) >= 100 else f"{v:.4g}")
    return "" if v is None or v is pd.NA else str(v)


@analyze_app.command("zonal")
def zonal(
    theme: Annotated[
        str, typer.Option("--theme", "-t", help="Theme category 专题图层 (polygons, or dem / soil_erosion)")
    ],
    by: Annotated[
        str, typer.Option("--by", "-b", help="Zone category 分区图层 (townships, small_watersheds, ...)")
    ],
    field: Annotated[
        str | None, typer.Option("--field", "-f", help="Class field of the theme 分类字段")
    ] = None,
    zone_field: Annotated[str | None, typer.Option("--zone-field", help="Field naming the zones")] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Raster themes: share of area above this value")
    ] = None,
    out: OutOpt = None,
    no_layer: NoWriteOpt = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Area and share of each class per zone 分区面积统计 (raster themes: mean, min, max)."""
    from liuyu.analysis.run import run_zonal

    with workspace(ws_path) as ws:
        result = run_zonal(ws, theme, by, field, zone_by=zone_field, threshold=threshold, write=not no_layer)
    _show(result, f"{theme} × {by} 分区统计 Zonal overlay", out)


@analyze_app.command("cross")
def cross(
    name: Annotated[str | None, typer.Argument(help="Analysis name 分析名称 (omit to list them)")] = None,
    out: OutOpt = None,
    no_layer: NoWriteOpt = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Run a named cross-analysis 交叉分析, e.g. cropland on slopes over 25°."""
    from liuyu.analysis.cross import cross_analyses, run_cross

    if name is None:
        for spec in cross_analyses().values():
            console.print(f"[bold]{spec.name}[/]  {spec.title_zh} — {spec.title_en}", highlight=False)
        return
    with workspace(ws_path) as ws:
        result = run_cross(ws, name, write=not no_layer)
    _show(result, f"{name} 交叉分析 Cross-analysis", out)


@analyze_app.command("coverage")
def coverage(
    tolerance_km: Annotated[
        float | None, typer.Option("--tolerance-km", help="Section search radius at a crossing 容差 (km)")
    ] = None,
    min_catchment_km2: Annotated[
        float | None,
        typer.Option("--min-catchment", help="Rivers with a larger catchment 集水面积阈值 (km²)"),
    ] = None,
    out: OutOpt = None,
    no_layer: NoWriteOpt = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Network density against targets and the gaps at boundary crossings 站网密度与断面空白."""
    from liuyu.analysis.coverage_run import run_coverage

    with workspace(ws_path) as ws:
        result = run_coverage(
            ws, tolerance_km=tolerance_km, min_catchment_km2=min_catchment_km2, write=not no_layer
        )
    cols = ["zone", "kind", "n", "area_km2", "km2_per_station", "target_km2", "needed", "shortfall", "met"]
    _show(result, "站网密度 Network density", out, columns=cols)
    for name, extra in result.extra_tables.items():
        if name == "density":  # every kind in every zone: in the saved table (--out)
            continue
        console.print(f"[bold]{name}[/]: {len(extra)} rows 行", highlight=False)
        console.print(extra.head(20).to_string(index=False), highlight=False)


@derive_app.command("steep-slopes")
def steep_slopes(
    threshold: Annotated[
        float, typer.Option("--threshold", help="Slope threshold 坡度阈值 (degrees)")
    ] = 25.0,
    min_area_km2: Annotated[
        float, typer.Option("--min-area", help="Drop pieces smaller than this 最小面积 (km²)")
    ] = 0.01,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Steep slopes from the DEM 由 DEM 计算陡坡地, stored as a new version of steep_slopes."""
    from liuyu.analysis.run import derive_steep_slopes

    with workspace(ws_path) as ws:
        result = derive_steep_slopes(ws, threshold, min_area_km2)
    _show(result, f"坡度 > {threshold:g}° 陡坡地 Steep slopes", None)


def register(app: typer.Typer) -> None:
    app.add_typer(analyze_app, name="analyze")
    app.add_typer(derive_app, name="derive")
