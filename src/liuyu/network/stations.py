"""The station registry: one station per section, whichever agency's code a delivery uses.

A delivered station matches a registered one when its code is the registered code or one
of its aliases, when its own aliases contain the registered code, or when both have the
same normalized name (NFKC, spaces and brackets removed) and lie within ``distance_m`` of
each other in the analysis CRS. A match merges into the registered station: the canonical
code is kept, the other code joins ``aliases`` and attributes are updated from the delivery
where it gives them (never blanked). When the delivery uses another agency's code (an alias
or a name match), the registered identity — name, agency, jurisdiction and location — is
kept, so that Hebei's list does not move Beijing's station; a delivery under the canonical
code updates those too. Stations that match nothing are new.

Where two agencies disagree on a field, network/station_priority.toml may name, per field, which
agency wins over this default (e.g. the hydrological bureau's coordinates); every disagreement
is reported with its winner.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from liuyu.network.station_priority import Priority, delivered_wins, load_priority

if TYPE_CHECKING:
    from liuyu.ingest.pipeline import IngestResult
    from liuyu.store import VersionInfo
    from liuyu.workspace import Workspace

_BRACKETS_SPACES = re.compile(r"[\s()\[\]{}（）【】〔〕［］《》<>]+")
_IDENTITY = ("name", "agency", "jurisdiction")
_KEPT = ("code", "aliases")
#: Attribute columns that restate the position: they follow the coordinates' winner (else a merged
#: station could keep one agency's point and show the other's longitude), reported as "coordinates".
_POSITION = ("longitude", "latitude")


def normalize_name(name: Any) -> str:
    """Station names compared across agencies: NFKC, no spaces, no brackets.

    >>> normalize_name("古北口 （潮河）") == normalize_name("古北口(潮河)")
    True
    """
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    return _BRACKETS_SPACES.sub("", unicodedata.normalize("NFKC", str(name)))


def _codes(text: Any) -> list[str]:
    """The codes of an ``aliases`` cell ("a, b；c") as a list; empty for a blank cell."""
    if not isinstance(text, str):
        return []
    return [
        c for c in (p.strip() for p in re.split(r"[,，;；、\s]+", unicodedata.normalize("NFKC", text))) if c
    ]


def _given(value: Any) -> bool:
    if value is None or value is pd.NA:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and value.strip() == "")


@dataclass
class _Registry:
    """The stations being merged, with the lookups a match needs."""

    rows: list[dict[str, Any]]
    xy: list[tuple[float, float]]
    by_code: dict[str, int] = field(default_factory=dict)
    by_name: dict[str, list[int]] = field(default_factory=dict)

    def index(self, pos: int) -> None:
        row = self.rows[pos]
        for code in [str(row["code"]), *_codes(row.get("aliases"))]:
            self.by_code.setdefault(code, pos)
        self.by_name.setdefault(normalize_name(row.get("name")), []).append(pos)

    def match(
        self, row: dict[str, Any], xy: tuple[float, float], distance_m: float
    ) -> tuple[int, str, float]:
        """(position, how, distance) of the registered station that ``row`` is, or (-1, "new", nan)."""
        for how, code in [("code", str(row["code"])), *(("alias", c) for c in _codes(row.get("aliases")))]:
            pos = self.by_code.get(code, -1)
            if pos >= 0:
                how = "code" if how == "code" and str(self.rows[pos]["code"]) == code else "alias"
                return pos, how, _distance(self.xy[pos], xy)
        near = [(p, _distance(self.xy[p], xy)) for p in self.by_name.get(normalize_name(row.get("name")), [])]
        near = [(p, d) for p, d in near if d <= distance_m]
        if near:
            pos, dist = min(near, key=lambda pair: pair[1])
            return pos, "name", dist
        return -1, "new", float("nan")


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))


def _merge(
    reg: _Registry,
    pos: int,
    row: dict[str, Any],
    xy: tuple[float, float],
    how: str,
    priority: Priority,
    agency: Any = None,
) -> list[dict[str, Any]]:
    """Update registered station ``pos`` from delivered ``row``; aliases are the union of both.

    Returns the fields on which the two disagreed, with the winner (station_priority.toml).
    """
    target = reg.rows[pos]
    canonical = str(target["code"])
    aliases = {*_codes(target.get("aliases")), str(row["code"]), *_codes(row.get("aliases"))}
    aliases.discard(canonical)
    same_owner = how == "code"
    theirs = row.get("agency") if _given(row.get("agency")) else agency
    ours = target.get("agency")
    disagreements = []
    for key, value in row.items():
        if key in _KEPT or not _given(value):
            continue
        rule = "geometry" if key in _POSITION else key
        default = same_owner or rule not in (*_IDENTITY, "geometry")
        take = default if key == "agency" else delivered_wins(rule, ours, theirs, priority, default)
        old = target.get(key)
        differs = key not in ("agency", *_POSITION) and _differs(key, old, value, reg.xy[pos], xy)
        if differs:
            disagreements.append(
                {
                    "station": canonical,
                    "delivered": str(row["code"]),
                    "field": "coordinates" if key == "geometry" else key,
                    "registered": _shown(old, reg.xy[pos]),
                    "delivered_value": _shown(value, xy),
                    "registered_agency": ours,
                    "delivered_agency": theirs,
                    "winner": "delivered" if take else "registered",
                }
            )
        if take:
            target[key] = value
            if key == "geometry":
                reg.xy[pos] = xy
    target["aliases"] = ",".join(sorted(aliases)) or None
    reg.index(pos)
    return disagreements


def _differs(key: str, old: Any, new: Any, old_xy: tuple[float, float], new_xy: tuple[float, float]) -> bool:
    if not _given(old):
        return False
    if key == "geometry":
        return bool(_distance(old_xy, new_xy) > 1.0)  # metres in the analysis CRS
    return normalize_name(old) != normalize_name(new) if isinstance(old, str) else bool(old != new)


def _shown(value: Any, xy: tuple[float, float]) -> Any:
    if hasattr(value, "wkt"):
        return f"{value.x:.6f},{value.y:.6f}" if value.geom_type == "Point" else value.wkt
    return value.item() if hasattr(value, "item") else value


def reconcile(
    current: gpd.GeoDataFrame,
    delivered: gpd.GeoDataFrame,
    *,
    distance_m: float = 200.0,
    analysis_crs: str = "EPSG:4548",
    agency: str | None = None,
    priority: Priority | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Merge delivered stations into the registry (module docstring: the matching rule).

    Parameters
    ----------
    current, delivered : GeoDataFrame
        Stations in the ``stations`` category schema (``code``, ``name``, ``aliases``, ...),
        in any CRS; ``current`` may be empty.
    distance_m : float
        How far apart two stations of the same name may be and still be one, in metres.
    analysis_crs : str
        The projected CRS distances are measured in (the workspace's analysis CRS).
    agency : str, optional
        The delivering agency, for rows without an ``agency`` of their own.
    priority : mapping, optional
        Field → agencies in order of precedence; default network/station_priority.toml.

    Returns
    -------
    (GeoDataFrame, dict)
        All stations, registered ones first in their order, in ``current``'s CRS (or the
        delivery's when the registry is empty); and a report: counts by how each delivered
        station matched, one entry per match, and one per field on which a merged station's
        lists disagreed (``disagreements``: values, agencies, winner).
    """
    priority = load_priority() if priority is None else priority
    crs = current.crs if len(current) else delivered.crs
    reg = _Registry(_records(current, crs), _xy(current, analysis_crs))
    for pos in range(len(reg.rows)):
        reg.index(pos)
    new_xy = _xy(delivered, analysis_crs)
    matches: list[dict[str, Any]] = []
    disagreements: list[dict[str, Any]] = []
    counts = {"delivered": len(delivered), "code": 0, "alias": 0, "name": 0, "new": 0}
    for row, xy in zip(_records(delivered, crs), new_xy, strict=True):
        pos, how, dist = reg.match(row, xy, distance_m)
        counts[how] += 1
        if pos < 0:
            reg.rows.append(row)
            reg.xy.append(xy)
            reg.index(len(reg.rows) - 1)
            continue
        disagreements += _merge(reg, pos, row, xy, how, priority, agency)
        matches.append(
            {
                "delivered": str(row["code"]),
                "station": str(reg.rows[pos]["code"]),
                "how": how,
                "distance_m": None if np.isnan(dist) else round(dist, 1),
            }
        )
    merged = gpd.GeoDataFrame(pd.DataFrame(reg.rows), geometry="geometry", crs=crs)
    counts["stations"] = len(merged)
    report = {"counts": counts, "matches": matches, "distance_m": distance_m, "disagreements": disagreements}
    return merged, report


def _records(frame: gpd.GeoDataFrame, crs: Any) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    out = frame.to_crs(crs) if crs is not None and frame.crs is not None else frame
    out = out.rename_geometry("geometry") if out.geometry.name != "geometry" else out
    return list(pd.DataFrame(out).to_dict("records"))


def _xy(frame: gpd.GeoDataFrame, analysis_crs: str) -> list[tuple[float, float]]:
    """Projected coordinates of the points (NaN for a missing geometry), for distances in metres."""
    if frame.empty:
        return []
    pts = np.asarray(frame.geometry.to_crs(analysis_crs).values)
    return list(zip(shapely.get_x(pts).tolist(), shapely.get_y(pts).tolist(), strict=True))


@dataclass
class StationIngest:
    """What ``ingest_stations`` did: the layer ingest's result, the reconciliation, the version."""

    ingest: IngestResult
    reconciliation: dict[str, Any]
    version: VersionInfo | None
    stations: gpd.GeoDataFrame
    report: dict[str, Any]

    @property
    def status(self) -> str:
        """'written', 'unchanged', 'rejected' (no row accepted) or 'dry-run'."""
        return str(self.reconciliation.get("status", ""))


def ingest_stations(
    ws: Workspace,
    path: str | os.PathLike[str],
    *,
    distance_m: float = 200.0,
    dry_run: bool = False,
    **options: Any,
) -> StationIngest:
    """Ingest a station list and merge it into the registry (the ``stations`` layer).

    The layer ingest reads, reprojects (GCJ-02 included), standardizes, quarantines and
    reports (run as a dry run, so it writes no version itself); the accepted stations are
    then reconciled with the current registry and the whole merged registry is written as
    the next version of ``stations`` — or nothing, when it did not change. ``options`` are
    those of :meth:`liuyu.workspace.Workspace.ingest_layer` (``crs``, ``agency``,
    ``jurisdiction``, ``user``, ``note``, ...).
    """
    options.pop("scope", None)  # the registry is merged, never replaced by scope
    result = ws.ingest_layer(path, "stations", dry_run=True, **options)
    current = ws.read_layer("stations") if ws.versions("stations") else result.accepted.iloc[:0]
    merged, rep = reconcile(
        current,
        result.accepted,
        distance_m=distance_m,
        analysis_crs=ws.config.crs.analysis,
        agency=options.get("agency"),
    )
    version = None
    if result.counts.get("accepted", 0) == 0:
        rep["status"] = "rejected"
    elif dry_run:
        rep["status"] = "dry-run"
    else:
        version = ws.write_layer(
            "stations",
            merged,
            user=options.get("user", "liuyu"),
            agency=options.get("agency"),
            source=path,
            licence=options.get("licence"),
            note=options.get("note"),
            report={**result.report, "dry_run": False, "reconciliation": rep},
        )
        rep["status"] = "written" if version is not None else "unchanged"
    _add_to_report_file(ws, result.report, rep)
    return StationIngest(result, rep, version, merged, _summary(ws, result.report, rep, version))


def _add_to_report_file(ws: Workspace, report: dict[str, Any], rep: dict[str, Any]) -> None:
    """Put the reconciliation (counts, matches, agencies' disagreements) into the ingest's JSON report.

    The layer ingest writes its report file before the stations are reconciled; without this the
    file on disk would not say which agency's value was kept where two lists disagree.
    """
    name = (report.get("files") or {}).get("json")
    path = ws.root / name if name else None
    if path is None or not path.is_file():
        return
    body = json.loads(path.read_text(encoding="utf-8"))
    body["reconciliation"] = rep
    path.write_text(json.dumps(body, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def _summary(
    ws: Workspace, layer_report: dict[str, Any], rep: dict[str, Any], version: VersionInfo | None
) -> dict[str, Any]:
    """The layer ingest's report with this ingest's outcome, in the shape `liuyu ingest` prints."""
    out = {
        **layer_report,
        "status": rep["status"],
        "dry_run": rep["status"] == "dry-run",
        "reconciliation": rep,
    }
    if version is not None:
        out["version"] = {
            "number": version.version,
            "scope": version.scope,
            "features": version.n_features,
            "added": version.n_added,
            "changed": version.n_changed,
            "removed": version.n_removed,
        }
    elif rep["status"] == "unchanged":
        out["unchanged_version"] = ws.store.current_version("stations")
    return out
