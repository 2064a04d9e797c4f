"""`liuyu init`, `catalog`, `versions`, `diff`, `rollback`: the workspace and its versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from liuyu.cli.catalog_matrix import print_matrix
from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.workspace import init_workspace


def init(
    path: Annotated[Path, typer.Argument(help="Folder to create the workspace in 工作区目录")],
    basin: Annotated[str, typer.Option(help="Basin name 流域名称")] = "流域",
    basin_en: Annotated[str, typer.Option(help="Basin name in English")] = "Basin",
    analysis_crs: Annotated[
        str, typer.Option(help="Projected CRS for areas and slopes 分析坐标系")
    ] = "EPSG:4548",
    store: Annotated[
        str | None,
        typer.Option(
            help="Where the data goes 数据存储: a .gpkg in the folder (default) or "
            "postgresql://user@host:port/db[?schema=NAME]; default $LIUYU_STORE",
        ),
    ] = None,
) -> None:
    """Create a workspace 创建工作区: liuyu.toml, the store, sources/ and reports/."""
    from liuyu.store.location import redact

    ws = init_workspace(
        path, basin_name=basin, basin_name_en=basin_en, analysis_crs=analysis_crs, store=store
    )
    console.print(f"已创建工作区 Created workspace [bold]{ws.root}[/]")
    console.print(f"数据存储 Store: {redact(ws.config.store.location)}")
    ws.close()


def catalog(ws_path: WorkspaceOpt = None) -> None:
    """Print the catalogue 数据目录: every category, its version and feature count."""
    with workspace(ws_path) as ws:
        df = ws.catalog()
        table = Table(title=f"{ws.config.basin.name} — 数据目录 Catalogue ({ws.root})")
        for col in (
            "code 代码",
            "名称",
            "name",
            "geometry",
            "version 版本",
            "features 要素数",
            "updated 更新 (UTC)",
        ):
            table.add_column(col, overflow="fold")
        for r in df.itertuples():
            table.add_row(
                r.code,
                r.name_zh,
                r.name_en,
                r.geometry,
                "—" if pd.isna(r.version) else str(r.version),
                f"{r.features:,}",
                "—" if pd.isna(r.updated) else str(r.updated)[:19],
            )
        console.print(table)
        print_matrix(ws)


def versions(
    category: Annotated[str, typer.Argument(help="Category code 类别代码")],
    ws_path: WorkspaceOpt = None,
) -> None:
    """List a category's versions with their provenance 版本与来源."""
    with workspace(ws_path) as ws:
        table = Table(title=f"{category} — versions 版本")
        for col in (
            "v",
            "time (UTC)",
            "kind",
            "user",
            "agency",
            "jurisdiction",
            "source",
            "checksum",
            "licence",
            "features",
            "+",
            "~",
            "-",
            "note",
        ):
            table.add_column(col, overflow="fold")
        for v in ws.versions(category):
            p = v.provenance
            table.add_row(
                str(v.version),
                v.created_at[:19],
                p.kind,
                p.user,
                p.agency or "",
                p.jurisdiction or "",
                p.source_name or "",
                (p.source_checksum or "")[:12],
                p.licence or "",
                f"{v.n_features:,}",
                str(v.n_added),
                str(v.n_changed),
                str(v.n_removed),
                p.note or "",
            )
        console.print(table)


def diff(
    category: Annotated[str, typer.Argument(help="Category code 类别代码")],
    from_version: Annotated[int, typer.Argument(help="Older version")],
    to_version: Annotated[int, typer.Argument(help="Newer version")],
    show: Annotated[int, typer.Option(help="How many keys to list per kind of change")] = 10,
    ws_path: WorkspaceOpt = None,
) -> None:
    """What changed between two versions 版本差异: added, removed, changed features."""
    with workspace(ws_path) as ws:
        d = ws.diff(category, from_version, to_version)
        console.print(
            f"{category} v{from_version} → v{to_version}: "
            f"[green]+{len(d.added)} 新增[/] [yellow]~{len(d.changed)} 修改[/] [red]-{len(d.removed)} 删除[/]"
        )
        for label, keys in (("added", d.added), ("changed", d.changed), ("removed", d.removed)):
            if keys:
                more = f" … (+{len(keys) - show})" if len(keys) > show else ""
                console.print(f"  {label}: {', '.join(keys[:show])}{more}")


def rollback(
    category: Annotated[str, typer.Argument(help="Category code 类别代码")],
    to_version: Annotated[int, typer.Argument(help="Version whose content becomes current again")],
    user: Annotated[str, typer.Option(help="Who is doing this 操作人")] = "liuyu",
    note: Annotated[str | None, typer.Option(help="Why 原因")] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Roll a category back 回滚 (as a new version; history is kept)."""
    with workspace(ws_path) as ws:
        v = ws.rollback(category, to_version, user=user, note=note)
        console.print(
            f"{category}: version {v.version} = content of version {to_version} ({v.n_features:,} features)"
        )


def register(app: typer.Typer) -> None:
    for fn in (init, catalog, versions, diff, rollback):
        app.command(fn.__name__)(fn)
