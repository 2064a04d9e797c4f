"""The workspace: a folder with liuyu.toml, the store, sources/ and reports/; the Python API's front door."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from affine import Affine

from liuyu.catalog import Category, get_category, load_categories
from liuyu.config import (
    CONFIG_NAME,
    DEFAULT_JURISDICTIONS,
    BasinConfig,
    CRSConfig,
    Jurisdiction,
    StoreConfig,
    WorkspaceConfig,
    load_config,
    save_config,
)
from liuyu.errors import ConfigError, StoreError, WorkspaceError
from liuyu.store import LayerDiff, Provenance, Scope, Store, VersionInfo, open_store
from liuyu.store.location import is_server_location, store_location
from liuyu.store.rasters import file_checksum, write_cog

if TYPE_CHECKING:
    from liuyu.ingest.pipeline import IngestResult
    from liuyu.network.ingest import ObservationIngestResult

ENV_VAR = "LIUYU_WORKSPACE"
SUBDIRS = ("sources", "reports", "rasters")


class Workspace:
    """An open workspace. Use :func:`liuyu.open` or :func:`liuyu.init` to get one."""

    def __init__(self, root: Path, config: WorkspaceConfig, store: Store) -> None:
        self.root = root
        self.config = config
        self.store = store

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"<Workspace {self.config.basin.name!r} at {self.root}>"

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def rasters_dir(self) -> Path:
        return self.root / "rasters"

    # --- categories and layers -----------------------------------------------------------------
    @staticmethod
    def categories() -> dict[str, Category]:
        return load_categories()

    def _provenance(self, **kw: Any) -> Provenance:
        jur = kw.get("jurisdiction")
        if jur is not None and jur not in self.config.jurisdiction_codes():
            raise ConfigError(
                f"unknown jurisdiction {jur!r}",
                hint=f"use one of {self.config.jurisdiction_codes()} "
                "or add it to [[jurisdictions]] in liuyu.toml",
            )
        return Provenance(**{k: v for k, v in kw.items() if v is not None})

    def archive_source(self, path: str | os.PathLike[str], checksum: str | None = None) -> tuple[str, str]:
        """Keep a copy of a source file under its checksum; returns (name, checksum).

        ``checksum``: the file's SHA-256 when the caller has it already (an ingest works it out
        on a second thread while it parses the file)."""
        src = Path(path)
        digest = checksum or file_checksum(src)
        dest = self.sources_dir / f"{digest}{''.join(src.suffixes)}"
        if not dest.exists():
            shutil.copy2(src, dest)
        return src.name, digest

    def write_layer(
        self,
        category: str,
        frame: gpd.GeoDataFrame,
        *,
        user: str = "liuyu",
        agency: str | None = None,
        jurisdiction: str | None = None,
        source: str | os.PathLike[str] | None = None,
        licence: str | None = None,
        note: str | None = None,
        kind: str = "ingest",
        report: dict[str, Any] | None = None,
        scoped: bool = False,
    ) -> VersionInfo | None:
        """Write a new version of a category; returns None when the content did not change.

        With ``scoped=True`` the write replaces only ``jurisdiction``'s features.
        """
        cat = get_category(category)
        if frame.crs is None:
            raise StoreError(
                f"{category}: the features have no CRS", hint="set it (frame.set_crs) before writing"
            )
        if frame.crs.to_epsg() != 4490:
            frame = frame.to_crs("EPSG:4490")
        name, checksum = self.archive_source(source) if source is not None else (None, None)
        prov = self._provenance(
            user=user,
            agency=agency,
            jurisdiction=jurisdiction,
            source_name=name,
            source_checksum=checksum,
            licence=licence,
            note=note,
            kind=kind,
            report=report,
        )
        scope = Scope(jurisdiction=jurisdiction) if scoped else None
        return self.store.write_layer(cat, frame, prov, scope=scope)

    def ingest_layer(
        self,
        path: str | os.PathLike[str],
        category: str,
        *,
        crs: str | None = None,
        towgs84: str | None = None,
        encoding: str | None = None,
        agency: str | None = None,
        jurisdiction: str | None = None,
        layer: str | None = None,
        dry_run: bool = False,
        scope: str | None = None,
        area: Any = None,
        user: str = "liuyu",
        licence: str | None = None,
        note: str | None = None,
        field_map: dict[str, str] | None = None,
    ) -> IngestResult:
        """Ingest an agency's file: read, reproject, standardize, validate, quarantine, version, report.

        ``crs`` overrides the file's CRS ("EPSG:4548", "gcj02", "bd09"); ``towgs84`` gives the
        Helmert parameters a Beijing 1954 / Xian 1980 file needs. ``scope`` is "all" (replace
        the layer), "jurisdiction" (replace ``jurisdiction``'s features only; the default when
        one is given) or "area" (replace the features whose representative point is in
        ``area``: a polygon in EPSG:4490, WKT or a file; default the delivery's convex hull).
        ``dry_run`` writes the report only. ``field_map`` maps source columns to fields
        explicitly. The result holds the report, the version (None when the content did not
        change or on a dry run), the accepted features and the quarantine records.
        See :mod:`liuyu.ingest.pipeline`.
        """
        from liuyu.ingest.pipeline import IngestOptions, ingest_layer

        options = IngestOptions(
            crs=crs,
            towgs84=towgs84,
            encoding=encoding,
            agency=agency,
            jurisdiction=jurisdiction,
            layer=layer,
            dry_run=dry_run,
            scope=scope,
            area=area,
            user=user,
            licence=licence,
            note=note,
            field_map=field_map,
        )
        return ingest_layer(self, path, category, options)

    def read_layer(
        self,
        category: str,
        *,
        version: int | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        jurisdiction: str | None = None,
    ) -> gpd.GeoDataFrame:
        return self.store.read_layer(
            get_category(category), version=version, bbox=bbox, jurisdiction=jurisdiction
        )

    def versions(self, category: str) -> list[VersionInfo]:
        return self.store.versions(get_category(category).code)

    def diff(self, category: str, from_version: int, to_version: int) -> LayerDiff:
        return self.store.diff(get_category(category), from_version, to_version)

    def rollback(
        self, category: str, to_version: int, *, user: str = "liuyu", note: str | None = None
    ) -> VersionInfo:
        return self.store.rollback(get_category(category), to_version, self._provenance(user=user, note=note))

    # --- rasters -------------------------------------------------------------------------------
    def write_raster(
        self,
        category: str,
        array: np.ndarray,
        transform: Affine,
        crs: str,
        *,
        nodata: float | None = None,
        unit: str | None = None,
        user: str = "liuyu",
        agency: str | None = None,
        licence: str | None = None,
        note: str | None = None,
        kind: str = "ingest",
    ) -> VersionInfo | None:
        """Store a raster as a COG and register it as a new version (None if identical to current)."""
        cat = get_category(category)
        if not cat.is_raster:
            raise StoreError(f"{category} is a vector category", hint="use write_layer for it")
        desc = write_cog(array, transform, crs, nodata, self.rasters_dir, category=category, unit=unit)
        current = self.store.raster(category)
        if current is not None and current.checksum == desc.checksum:
            return None
        prov = self._provenance(
            user=user, agency=agency, licence=licence, note=note, kind=kind, source_checksum=desc.checksum
        )
        return self.store.register_raster(desc, prov)

    def raster_path(self, category: str, version: int | None = None) -> Path:
        rv = self.store.raster(get_category(category).code, version)
        if rv is None:
            raise StoreError(
                f"{category} has no raster{'' if version is None else f' version {version}'}",
                hint="load one with `liuyu ingest layer FILE.tif --category " + category + "`",
            )
        return self.root / rv.path

    # --- network -------------------------------------------------------------------------------
    def append_observations(
        self,
        observations: pd.DataFrame,
        *,
        user: str = "liuyu",
        agency: str | None = None,
        source: str | None = None,
        note: str | None = None,
    ) -> int:
        return self.store.append_observations(
            observations, self._provenance(user=user, agency=agency, source_name=source, note=note)
        )

    def ingest_observations(
        self,
        path: str | os.PathLike[str],
        *,
        format: str = "auto",
        mn_map: Any = None,
        agency: str | None = None,
        user: str = "liuyu",
        dry_run: bool = False,
    ) -> ObservationIngestResult:
        """Ingest an observation file (long/wide sheet, HJ 212 log); see :mod:`liuyu.network.ingest`."""
        from liuyu.network.ingest import ingest_observations

        before = None if dry_run else self.store.series()
        result = ingest_observations(
            self, path, format=format, mn_map=mn_map, agency=agency, user=user, dry_run=dry_run
        )
        if before is not None and result.counts.get("stored", 0):  # rain and level warnings (manage/)
            from liuyu.manage.warnings_run import evaluate_after_ingest

            evaluate_after_ingest(self, before)
        return result

    # --- catalogue -----------------------------------------------------------------------------
    def catalog(self) -> pd.DataFrame:
        """One row per category: its current version, feature count and last update."""
        rows = []
        for cat in load_categories().values():
            vers = self.store.versions(cat.code)
            last = vers[-1] if vers else None
            count = int(last is not None) if cat.is_raster else self.store.count(cat)
            rows.append(
                {
                    "code": cat.code,
                    "name_zh": cat.name_zh,
                    "name_en": cat.name_en,
                    "group": cat.group,
                    "geometry": cat.geometry,
                    "version": last.version if last else None,
                    "features": count,
                    "updated": last.created_at if last else None,
                }
            )
        df = pd.DataFrame(rows)
        return df.astype({"version": "Int64", "updated": "string"})


def find_workspace(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where the workspace is, found as git finds a repository.

    ``-w`` first, else ``$LIUYU_WORKSPACE``, else the current folder or the nearest parent with a
    liuyu.toml.
    """
    if explicit is not None:
        root = Path(explicit).expanduser().resolve()
        if not (root / CONFIG_NAME).exists():
            raise WorkspaceError(
                f"{root} is not a Liuyu workspace (no {CONFIG_NAME})",
                hint="create one with `liuyu init PATH` or `liuyu demo PATH`",
            )
        return root
    env = os.environ.get(ENV_VAR)
    if env:
        return find_workspace(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).exists():
            return folder
    raise WorkspaceError(
        f"no Liuyu workspace in {here} or its parents",
        hint=f"pass -w PATH, set ${ENV_VAR}, or cd into a workspace (create one with `liuyu init PATH`)",
    )


def open_workspace(path: str | os.PathLike[str] | None = None) -> Workspace:
    """Open an existing workspace (found like git finds a repository when ``path`` is None)."""
    root = find_workspace(path)
    config = load_config(root / CONFIG_NAME)
    for sub in SUBDIRS:
        (root / sub).mkdir(exist_ok=True)
    return Workspace(root, config, open_store(config.store.location, root))


def init_workspace(
    path: str | os.PathLike[str],
    *,
    basin_name: str = "流域",
    basin_name_en: str = "Basin",
    analysis_crs: str = "EPSG:4548",
    jurisdictions: list[Jurisdiction] | None = None,
    store: str | None = None,
) -> Workspace:
    """Create a workspace in an empty (or new) folder; refuses a non-empty folder.

    ``store`` is where the data goes: a GeoPackage path in the folder (default ``liuyu.gpkg``)
    or a ``postgresql://user@host:port/db?schema=NAME`` URL; ``$LIUYU_STORE`` gives the default.
    A PostgreSQL URL without ``schema`` gets a new ``ws_<8 hex>`` schema, written into liuyu.toml.
    """
    root = Path(path).expanduser().resolve()
    if (root / CONFIG_NAME).exists():
        raise WorkspaceError(f"{root} is already a Liuyu workspace", hint="open it with liuyu.open(path)")
    if root.exists() and any(root.iterdir()):
        raise WorkspaceError(f"{root} is not empty and not a workspace", hint="choose an empty or new folder")
    try:
        config = WorkspaceConfig(
            basin=BasinConfig(name=basin_name, name_en=basin_name_en),
            crs=CRSConfig(analysis=analysis_crs),
            jurisdictions=list(DEFAULT_JURISDICTIONS if jurisdictions is None else jurisdictions),
            store=StoreConfig(location=store_location(store)),
        )
    except ValueError as exc:
        raise ConfigError(f"cannot create the workspace configuration: {exc}") from exc
    created_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        for sub in SUBDIRS:
            (root / sub).mkdir()
        opened = open_store(config.store.location, root, create=True)
        save_config(config, root / CONFIG_NAME)
    except BaseException:
        for sub in SUBDIRS:
            shutil.rmtree(root / sub, ignore_errors=True)
        if not is_server_location(config.store.location):
            (root / config.store.location).unlink(missing_ok=True)
        if created_root:
            shutil.rmtree(root, ignore_errors=True)
        raise
    return Workspace(root, config, opened)
