"""`liuyu serve`: the HTTP API and the web map of one workspace, through uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from liuyu.cli.options import WorkspaceOpt, console
from liuyu.workspace import ENV_VAR, open_workspace


def serve(
    ws_path: WorkspaceOpt = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on 监听地址 (0.0.0.0 for all interfaces)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port 端口")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes 进程数")] = 1,
) -> None:
    """Serve the workspace 启动服务: OGC API Features and Tiles, the web map, Liuyu's routes."""
    import uvicorn

    # Open it once here so a wrong path or a broken store is a clear message, not a worker crash.
    with open_workspace(ws_path) as ws:
        root = ws.root
        title = f"{ws.config.basin.name} {ws.config.basin.name_en}".strip()
    # Every worker process builds its own app from the factory and finds the workspace here.
    os.environ[ENV_VAR] = str(root)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}"
    console.print(f"流域 Liuyu — {title} ({root})", highlight=False)
    console.print(f"  接口 API (OGC API Features):  {url}/", highlight=False)
    console.print(f"  地图 Web map:                 {url}/map", highlight=False)
    console.print(f"  文档 API documentation:       {url}/api.html", highlight=False)
    console.print("按 Ctrl+C 停止 Press Ctrl+C to stop.", highlight=False)
    uvicorn.run(
        "liuyu.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
