"""The ingest pipeline: read -> coordinates -> standardize -> validate -> quarantine -> write -> report.

Every stage logs what it finds into one :class:`~liuyu.ingest.problems.ProblemLog`; rows
with an error are quarantined, the rest become the new version (or a partial update of a
jurisdiction or an area). The count of input rows always equals accepted + quarantined:
the pipeline checks it before writing anything and refuses to write if it does not hold.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from liuyu.catalog import Category, get_category
from liuyu.errors import IngestError
from liuyu.ingest import checks, jurisdiction, persist
from liuyu.ingest import report as reports
from liuyu.ingest.coordinates import to_storage
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.problems import ProblemLog
from liuyu.ingest.quarantine import build_records, reader_rejected_rows
from liuyu.ingest.standardize import Standardized, standardize
from liuyu.ingest.validate import check_geometries, locations

if TYPE_CHECKING:
    from liuyu.store import VersionInfo
    from liuyu.workspace import Workspace

SCOPES = ("all", "jurisdiction", "area")


@dataclass(frozen=True)
class IngestOptions:
    """Everything a user says about one ingest (the CLI options, the form fields of the API)."""

    crs: str | None = None
    towgs84: str | None = None
    encoding: str | None = None
    agency: str | None = None
    jurisdiction: str | None = None
    layer: str | None = None
    dry_run: bool = False
    scope: str | None = None  # None: "jurisdiction" when a jurisdiction is given, else "all"
    area: Any = None  # shapely geometry (EPSG:4490), WKT, or a vector file; for scope "area"
    user: str = "liuyu"
    licence: str | None = None
    note: str | None = None
    field_map: dict[str, str] | None = None

    @property
    def effective_scope(self) -> str:
        return self.scope or ("jurisdiction" if self.jurisdiction else "all")

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "area" and v not in (None, False, {})}
        out["scope"] = self.effective_scope
        return out


@dataclass
class IngestResult:
    """What an ingest did: its report (a dict, also on disk), the version written, the features."""

    report: dict[str, Any]
    version: VersionInfo | None
    accepted: gpd.GeoDataFrame
    quarantine: pd.DataFrame

    @property
    def ingest_id(self) -> str:
        return str(self.report["ingest_id"])

    @property
    def status(self) -> str:
        """'written', 'unchanged' (same content as the current version), 'rejected' (no row
        accepted: no version written) or 'dry-run'."""
        return str(self.report["status"])

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.report["counts"])


def ingest_layer(
    ws: Workspace, path: str | os.PathLike[str], category: str, options: IngestOptions | None = None
) -> IngestResult:
    """Read a delivered file and ingest it (see :meth:`liuyu.workspace.Workspace.ingest_layer`)."""
    from liuyu.ingest.readers import open_delivery

    opts = options or IngestOptions()
    cat = get_category(category)
    _check_options(ws, opts)
    delivery = open_delivery(Path(path), layer=opts.layer, encoding=opts.encoding)
    return ingest_delivery(ws, delivery, cat, opts)


def _check_options(ws: Workspace, opts: IngestOptions) -> None:
    """Fail fast, before reading a large file, on options that cannot work."""
    if opts.effective_scope not in SCOPES:
        raise IngestError(f"unknown scope {opts.scope!r}", hint=f"use one of {', '.join(SCOPES)}")
    if opts.jurisdiction is not None and opts.jurisdiction not in ws.config.jurisdiction_codes():
        raise IngestError(
            f"unknown jurisdiction {opts.jurisdiction!r}",
            hint=f"use one of {ws.config.jurisdiction_codes()} or add it to [[jurisdictions]] in liuyu.toml",
        )
    if opts.effective_scope == "jurisdiction" and opts.jurisdiction is None:
        raise IngestError("--scope jurisdiction needs --jurisdiction CODE", hint="or use --scope all")


def ingest_delivery(
    ws: Workspace, delivery: Delivery, category: Category | str, options: IngestOptions | None = None
) -> IngestResult:
    """Ingest a delivery already read (readers' output, or one built in code or tests)."""
    opts = options or IngestOptions()
    cat = get_category(category) if isinstance(category, str) else category
    _check_options(ws, opts)
    if cat.is_raster:
        from liuyu.ingest.raster import ingest_raster

        return ingest_raster(ws, delivery, cat, opts, new_ingest_id(cat.code))
    if delivery.raster is not None:
        raise IngestError(
            f"{delivery.source.name} is a raster, but {cat.code} is a vector category",
            hint="raster categories: " + ", ".join(persist.raster_codes()),
        )
    return _Run(ws, delivery, cat, opts).run()


def new_ingest_id(code: str) -> str:
    """A readable, unique id: UTC time, category and 6 random hex digits."""
    now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{now}-{code}-{secrets.token_hex(3)}"


class _Run:
    """One ingest in progress; the stages are its methods, the problem log its memory."""

    def __init__(self, ws: Workspace, delivery: Delivery, category: Category, opts: IngestOptions) -> None:
        self.ws, self.delivery, self.cat, self.opts = ws, delivery, category, opts
        self.log = ProblemLog()
        self.ingest_id = new_ingest_id(category.code)
        self.created_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.analysis = ws.config.crs.analysis
        self.area: Any = None
        self.n_input = 0

    def run(self) -> IngestResult:
        d = self.delivery
        checks.reader_findings(d, self.log)
        raw_geoms, crs_used = to_storage(d, self.log, crs=self.opts.crs, towgs84=self.opts.towgs84)
        frame = gpd.GeoDataFrame(
            d.frame.drop(columns=d.frame.geometry.name), geometry=raw_geoms, crs="EPSG:4490"
        ).reset_index(drop=True)
        std = standardize(frame, self.cat, self.log, field_map=self.opts.field_map, units=d.units)
        geoms, repairs = check_geometries(raw_geoms, self.cat, self.log, self.analysis)
        std.frame = std.frame.set_geometry(geoms)
        accepted = self._accepted_after_checks(std.frame, crs_used.deoffset is not None)
        records = self._records(frame, raw_geoms)
        self._check_counts(accepted, records)
        out = self._output(std, accepted)
        report = self._report(std, out, crs_used, repairs, records, raw_geoms)
        version, report = persist.finish(
            self.ws, d, self.cat, self.opts, out, records, report, area=self.area
        )
        return IngestResult(report, version, out, records)

    def _accepted_after_checks(self, frame: gpd.GeoDataFrame, deoffset: bool) -> np.ndarray:
        """Layer-level checks on the rows still accepted: duplicates, coverage, basin, offset, area."""
        n = len(frame)
        ok = self._accepted(n)
        pos = np.flatnonzero(ok)
        sub = frame.iloc[pos]
        rows = self.delivery.rows
        checks.duplicates(sub, pos, rows, self.cat, self.log, self.analysis)
        pos = pos[self._accepted(n)[pos]]
        sub = frame.iloc[pos]
        checks.coverage(sub, pos, rows, self.cat, self.log, self.analysis)
        checks.basin(self.ws, sub, pos, self.cat, self.log)
        if not deoffset:
            checks.offset(self.ws, sub, self.cat, self.log)
        if self.opts.effective_scope == "area":
            self.area = persist.area_geometry(self.opts.area, sub)
            checks.scope_area(sub, pos, self.area, self.log)
        return self._accepted(n)

    def _accepted(self, n: int) -> np.ndarray:
        ok = np.ones(n, dtype=bool)
        ok[self.log.error_positions()] = False
        return ok

    def _records(self, frame: gpd.GeoDataFrame, raw_geoms: np.ndarray) -> pd.DataFrame:
        d = self.delivery
        return build_records(
            self.log.frame(),
            d.frame,
            raw_geoms,
            d.rows,
            d.problems,
            ingest_id=self.ingest_id,
            category=self.cat.code,
            created_at=self.created_at,
            source_name=d.source.name,
            source_checksum=None,
        )

    def _check_counts(self, accepted: np.ndarray, records: pd.DataFrame) -> None:
        """Input = accepted + quarantined, or nothing is written (a row would be lost silently)."""
        d = self.delivery
        n_input = len(d.frame) + reader_rejected_rows(d.problems)
        n_acc, n_q = int(accepted.sum()), len(records)
        self.n_input = n_input
        if n_input != n_acc + n_q or (d.n_source_rows and d.n_source_rows != n_input):
            raise IngestError(
                f"{d.source.name}: {n_input} input rows (reader: {d.n_source_rows}) but {n_acc} accepted + "
                f"{n_q} quarantined: refusing to write, a row would be lost",
                hint="this is a bug in Liuyu: please report it with the file",
            )

    def _output(self, std: Standardized, accepted: np.ndarray) -> gpd.GeoDataFrame:
        """The accepted rows in the category schema, with their jurisdiction.

        ``--jurisdiction`` decides for the whole delivery; without it each feature gets the
        jurisdiction of the county it lies in (a basin-wide delivery).
        """
        out = std.frame.iloc[np.flatnonzero(accepted)].reset_index(drop=True)
        if self.opts.jurisdiction is not None:
            out["jurisdiction"] = self.opts.jurisdiction
        else:
            out["jurisdiction"] = jurisdiction.by_location(self.ws, np.asarray(out.geometry.values))
        return out

    def _report(
        self,
        std: Standardized,
        out: gpd.GeoDataFrame,
        crs_used: Any,
        repairs: list[dict[str, Any]],
        records: pd.DataFrame,
        raw_geoms: np.ndarray,
    ) -> dict[str, Any]:
        problems = self.log.frame()
        rows = self.delivery.rows
        listed = reports.problem_listing(problems, rows, locations(raw_geoms))
        for r in repairs:
            r["row"] = int(rows[r.pop("pos")])
        warnings = int((problems["severity"] == "warning").sum()) + sum(
            n["severity"] == "warning" for n in self.log.notes
        )
        d = self.delivery
        return {
            "ingest_id": self.ingest_id,
            "created_at": self.created_at,
            "dry_run": self.opts.dry_run,
            "category": {"code": self.cat.code, "name_zh": self.cat.name_zh, "name_en": self.cat.name_en},
            "source": {
                "name": d.source.name,
                "member": d.member,
                "format": d.format,
                "layer": d.layer,
                "encoding": d.encoding,
            },
            "options": self.opts.as_dict(),
            "crs": crs_used.as_dict(),
            "counts": {
                "input": self.n_input,
                "accepted": len(out),
                "quarantined": len(records),
                "repaired": len(repairs),
                "warnings": warnings,
            },
            "fields": checks.field_summary(std, self.cat),
            "reasons": reports.reason_counts(problems, self.log.notes),
            "notes": self.log.notes,
            "problems": listed,
            "problems_not_listed": max(0, len(problems) - len(listed)),
            "repairs": repairs[: reports.MAX_LISTED],
            "extent": checks.extent(raw_geoms),
        }
