"""The ingest report: what was done to a delivery and what is still wrong, as JSON and HTML.

The JSON is the record (stored under ``reports/ingest/`` and summarised in the version's
provenance); the HTML page is for people: self-contained (inline CSS and SVG, no external
resource, so it opens offline and can be mailed to the agency), bilingual, with a small map
of where the problems are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from liuyu.ingest.problems import REASONS, label
from liuyu.ingest.report_svg import problem_map

#: At most this many problems and repairs are listed one by one (counts are always complete;
#: every rejected row is in the quarantine whatever the listing shows).
MAX_LISTED = 10_000
REPORT_DIR = Path("reports") / "ingest"


def reason_counts(problems: pd.DataFrame, notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """How many rows (or file-level findings) per reason and severity, most severe first."""
    rows = problems.groupby(["reason", "severity"]).size() if not problems.empty else pd.Series(dtype=int)
    counts: dict[tuple[str, str], int] = {(r, s): int(n) for (r, s), n in rows.items()}
    for note in notes:
        key = (note["reason"], note["severity"])
        counts[key] = counts.get(key, 0) + 1
    order = {"error": 0, "warning": 1, "info": 2}
    return [
        {"reason": r, "severity": s, "count": n, "label": label(r)}
        for (r, s), n in sorted(counts.items(), key=lambda kv: (order.get(kv[0][1], 3), -kv[1]))
    ]


def problem_listing(problems: pd.DataFrame, rows: np.ndarray, lonlat: np.ndarray) -> list[dict[str, Any]]:
    """The problems with source row numbers and a location, at most MAX_LISTED of them."""
    head = problems.iloc[:MAX_LISTED]
    pos = head["pos"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "row": rows[pos] if len(pos) else np.empty(0, dtype=np.int64),
            "reason": head["reason"].to_numpy(),
            "severity": head["severity"].to_numpy(),
            "field": head["field"].to_numpy(),
            "value": head["value"].to_numpy(),
            "detail": head["detail"].to_numpy(),
            "lon": _place(head["lon"], lonlat[pos, 0]),
            "lat": _place(head["lat"], lonlat[pos, 1]),
        }
    )
    out = out.astype(object).where(out.notna(), None)
    return [{k: v for k, v in r.items() if v is not None} for r in out.to_dict("records")]


def _place(given: pd.Series, fallback: np.ndarray) -> np.ndarray:
    """The problem's own location where it has one, else its feature's; 6 decimals (~0.1 m)."""
    own = given.to_numpy(dtype=np.float64)
    return np.round(np.where(np.isnan(own), fallback, own), 6)


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """The part of a report kept in the version's provenance (small: counts, reasons, links)."""
    keys = ("ingest_id", "created_at", "status", "counts", "crs", "reasons", "files")
    out = {k: report[k] for k in keys if k in report}
    out["fields"] = {k: report["fields"][k] for k in ("unmapped",) if k in report.get("fields", {})}
    return out


def paths(ingest_id: str) -> dict[str, str]:
    """Where an ingest's report files go, relative to the workspace root."""
    return {
        "json": (REPORT_DIR / f"{ingest_id}.json").as_posix(),
        "html": (REPORT_DIR / f"{ingest_id}.html").as_posix(),
    }


def write(report: dict[str, Any], root: Path) -> dict[str, str]:
    """Write ``<id>.json`` and ``<id>.html`` under ``root/reports/ingest``; returns relative paths."""
    (root / REPORT_DIR).mkdir(parents=True, exist_ok=True)
    files = report["files"] = paths(report["ingest_id"])
    (root / files["json"]).write_text(
        json.dumps(report, ensure_ascii=False, indent=1, default=_plain), encoding="utf-8"
    )
    (root / files["html"]).write_text(render_html(report), encoding="utf-8")
    return files


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts, no links out)."""
    env = Environment(
        loader=PackageLoader("liuyu.ingest", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    svg = problem_map(report.get("problems", []), report.get("notes", []), report.get("extent"))
    return env.get_template("report.html").render(r=report, svg=svg, reasons=REASONS, label=label)


def load(root: Path, ingest_id: str) -> dict[str, Any]:
    """A stored report by id (FileNotFoundError if there is none)."""
    path = root / REPORT_DIR / f"{ingest_id}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
