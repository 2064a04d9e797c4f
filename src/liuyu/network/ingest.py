"""Ingest an observation file: parse, resolve stations, parse values, convert units, de-duplicate, QC, store.

Rules, in order (each rejected row goes to the quarantine table, category ``observations``):

1. **Parse** (:mod:`.ingest_read`): long or wide CSV/XLSX sheets, or HJ 212-2017 message logs
   (CRC checked). Times in the file are local (Asia/Shanghai) and stored in UTC.
2. **Stations**: a code, an alias (the stations layer's ``aliases``) or a station name maps
   to the canonical code; anything else is quarantined as an unknown station.
3. **Values**: ``<0.01``, ``ND``/``未检出`` with a limit are censored at the limit; ``—``,
   ``/`` and blanks are *missing* (counted, reported, not stored, not quarantined); anything
   unreadable is quarantined with the cell as delivered.
4. **Units** are converted to each property's canonical unit; an unconvertible unit is
   quarantined.
5. **Duplicates** of (station, property, method, time) inside the file: if they all agree
   (same value in the canonical unit and same censoring) one is kept and the rest counted as
   merged; if they disagree *all* are quarantined as "conflicting duplicate", since the
   file itself does not say which is right.
6. **QC** (:func:`liuyu.network.qc.run_qc`, over this file's rows): hard-range failures are
   quarantined, other flags are stored with the row.
7. **Store**: rows whose (series, time) are already stored are skipped, so a re-run stores
   nothing new.

Row conservation, asserted on every run: ``rows_in = stored + already_present + quarantined
+ missing + merged_duplicates``, where ``rows_in`` counts every observation the parser read
plus every row or message it rejected.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from liuyu.errors import IngestError
from liuyu.network.ingest_fast import read_long_csv
from liuyu.network.ingest_prepare import REJECT_COLUMNS, prepare_observations, station_index
from liuyu.network.ingest_read import read_observations
from liuyu.store import gpkg_quarantine
from liuyu.store.base import Provenance, utc_now
from liuyu.store.rasters import file_checksum

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

__all__ = ["ObservationIngestResult", "ingest_observations", "read_mn_map"]

CATEGORY = "observations"


@dataclass
class ObservationIngestResult:
    """Counts of one observation ingest, its problems (quarantined rows) and its ingest id."""

    ingest_id: str
    source: str
    format: str
    counts: dict[str, int]
    problems: pd.DataFrame
    dry_run: bool = False

    @property
    def conserved(self) -> bool:
        c = self.counts
        out = c["stored"] + c["already_present"] + c["quarantined"] + c["missing"] + c["merged_duplicates"]
        return c["rows_in"] == out


def read_mn_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """An HJ 212 device map: a CSV with columns ``mn`` and ``station_code``."""
    frame = pd.read_csv(path, dtype=str)
    if not {"mn", "station_code"} <= set(frame.columns):
        raise IngestError(
            f"{Path(path).name}: the MN map needs columns mn,station_code (has {list(frame.columns)})",
            hint="one line per device: mn,station_code",
        )
    return dict(zip(frame["mn"].str.strip(), frame["station_code"].str.strip(), strict=True))


def ingest_observations(
    ws: Workspace,
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    mn_map: Mapping[str, str] | str | os.PathLike[str] | None = None,
    agency: str | None = None,
    user: str = "liuyu",
    dry_run: bool = False,
) -> ObservationIngestResult:
    """Ingest one observation file into the workspace (see the module docstring for the rules).

    Parameters
    ----------
    ws : Workspace
        The workspace; its ``stations`` layer resolves codes and aliases.
    path : path-like
        A long or wide CSV/XLSX sheet, or an HJ 212 message log.
    format : {"auto", "long", "wide", "hj212"}
        How to read the file; "auto" looks at the first line and the header.
    mn_map : mapping or path, optional
        HJ 212 device code (MN) → station code, or a CSV file of ``mn,station_code``.
    agency, user : str
        Provenance kept with the batch.
    dry_run : bool
        Count and report only; write nothing.
    """
    path = Path(path)
    devices = read_mn_map(mn_map) if isinstance(mn_map, str | os.PathLike) else mn_map
    with ThreadPoolExecutor(max_workers=1) as pool:  # the source's checksum and copy, beside the parse
        return _ingest(ws, path, format, devices, agency, user, dry_run, pool)


def _ingest(
    ws: Workspace,
    path: Path,
    format: str,
    devices: Mapping[str, str] | None,
    agency: str | None,
    user: str,
    dry_run: bool,
    pool: ThreadPoolExecutor,
) -> ObservationIngestResult:
    digests: list[Future[str]] = []

    def start_checksum() -> None:  # on the second thread, once the CSV reader's threads are done
        if not dry_run and not digests and path.is_file():
            digests.append(pool.submit(file_checksum, path))

    fast = read_long_csv(path, _stations(ws), format=format, then=start_checksum)
    start_checksum()  # the general path: from the start
    digest = digests[0] if digests else None
    if fast is not None:  # a long CSV: pyarrow and per-distinct-cell stages (ingest_fast)
        n_parsed, row_problems, prepared, fmt = fast.n_parsed, fast.row_problems, fast.prepared, "long"
    else:
        obs, parse_problems, fmt = read_observations(path, format=format, mn_map=devices)
        row_problems = parse_problems[parse_problems["source_row"].notna()]
        prepared = prepare_observations(obs, _stations(ws))
        n_parsed = len(obs)
    problems = pd.concat(
        [x for x in (row_problems[REJECT_COLUMNS], prepared.rejected) if len(x)] or [prepared.rejected],
        ignore_index=True,
    )
    ingest_id = f"{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}-observations-{secrets.token_hex(3)}"
    counts = {
        "rows_in": n_parsed + len(row_problems),
        "parse_rejected": len(row_problems),
        **prepared.counts,
        "quarantined": len(problems),
        "to_store": len(prepared.accepted),
        "stored": 0,
        "already_present": 0,
    }
    if not dry_run:
        checksum = digest.result() if digest is not None else None
        archived = pool.submit(ws.archive_source, path, checksum)  # copied while the rows are stored
        name, checksum = path.name, checksum or archived.result()[1]
        stored = _store(ws, prepared.accepted, name, checksum, agency, user, ingest_id)
        archived.result()
        counts |= {"stored": stored, "already_present": len(prepared.accepted) - stored}
        _quarantine(ws, problems, name, checksum, ingest_id, user)
    else:
        counts["stored"] = len(prepared.accepted)  # would be stored (or found already present)
    result = ObservationIngestResult(ingest_id, path.name, fmt, counts, problems, dry_run)
    assert result.conserved, f"row conservation broken: {counts}"
    return result


def _stations(ws: Workspace) -> dict[str, str]:
    try:
        layer = ws.read_layer("stations")
    except Exception as exc:  # no stations layer yet: every row would be an unknown station
        raise IngestError(
            "the workspace has no stations layer to resolve station codes against",
            hint="load it first: liuyu ingest stations FILE (or ingest layer FILE -c stations)",
        ) from exc
    return station_index(pd.DataFrame(layer.drop(columns="geometry", errors="ignore")))


def _store(
    ws: Workspace,
    accepted: pd.DataFrame,
    name: str,
    checksum: str,
    agency: str | None,
    user: str,
    ingest_id: str,
) -> int:
    if accepted.empty:
        return 0
    prov = Provenance(
        user=user, agency=agency, source_name=name, source_checksum=checksum, note=f"ingest_id={ingest_id}"
    )
    return int(ws.store.append_observations(accepted, prov))


def _quarantine(
    ws: Workspace, problems: pd.DataFrame, name: str, checksum: str, ingest_id: str, user: str
) -> None:
    if problems.empty:
        return
    records = pd.DataFrame(
        {
            "ingest_id": ingest_id,
            "category": CATEGORY,
            "created_at": utc_now(),
            "source_name": name,
            "source_checksum": checksum,
            "row": problems["source_row"].astype("Int64").astype(object),
            "reason": problems["reason"].astype(str),
            "field": problems["field"],
            "value": problems["value"].astype(object).where(problems["value"].notna(), None),
            "problems": None,
            "attributes": None,
            "geom": None,
        }
    )
    gpkg_quarantine.add_atomically(ws.store, records, user)
