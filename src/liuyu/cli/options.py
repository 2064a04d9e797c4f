"""Options shared by the commands, and how they open the workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from liuyu.workspace import Workspace, open_workspace

console = Console()
err_console = Console(stderr=True)

WorkspaceOpt = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder 工作区 (default: $LIUYU_WORKSPACE, else the current folder or a parent)",
        show_default=False,
    ),
]


def workspace(path: Path | None) -> Workspace:
    return open_workspace(path)
