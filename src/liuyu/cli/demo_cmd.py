"""`liuyu demo PATH`: build the demo basin workspace (synthetic except the county boundaries)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from liuyu.cli.options import console


def demo(
    path: Annotated[Path, typer.Argument(help="Folder for the demo workspace 演示工作区目录")],
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same basin)")] = 20240801,
    parcels: Annotated[int, typer.Option(help="Number of land-use parcels 图斑数")] = 50_000,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing demo workspace there")] = False,
) -> None:
    """Build the Miyun-like demo basin 构建演示流域 and print its catalogue."""
    from liuyu.cli.workspace_cmds import catalog
    from liuyu.demo import build_demo

    ws = build_demo(path, seed=seed, parcels=parcels, force=force, progress=True)
    root = ws.root
    ws.close()
    console.print(f"演示工作区已建成 Demo workspace ready: [bold]{root}[/]")
    catalog(root)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
