"""Render the monthly bulletin: one self-contained HTML page (inline CSS and SVG), and PDF via WeasyPrint.

The words live in ``templates/monthly_text.toml`` (Chinese and English); this module turns the
bulletin's frames into rows of formatted strings, so the Jinja2 template holds no arithmetic.
"""

from __future__ import annotations

import calendar
import math
import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from liuyu.assess.standards import load_standard
from liuyu.errors import ConfigError
from liuyu.network.properties import load_properties
from liuyu.report.monthly import MonthlyBulletin
from liuyu.report.svg_map import CLASS_COLOURS, FONTS, class_bars, section_map

LANGS = ("zh", "en")
#: Rain gauges side by side in one table row: a basin has hundreds, one per line would fill pages.
GAUGES_PER_ROW = 3


@cache
def texts(lang: str) -> dict[str, Any]:
    """The bulletin's words in ``lang`` ("zh" or "en")."""
    if lang not in LANGS:
        raise ConfigError(f"no bulletin text in language {lang!r}", hint="use --lang zh or --lang en")
    raw = resources.files("liuyu.report").joinpath("templates/monthly_text.toml").read_text("utf-8")
    return dict(tomllib.loads(raw)[lang])


def _pct(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.1f}%"


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "—"
    return f"{float(value):.{digits}f}"


@cache
def _english_items() -> tuple[tuple[str, str], ...]:
    """(Chinese item name, English name) pairs, longest first, to translate the pollutant text."""
    std = load_standard("gb3838_2002")
    props = load_properties().set_index("code")["name_en"]
    pairs = [(item.name_zh, str(props.get(code, code))) for code, item in std.items.items()]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def pollutants(text: str | None, lang: str) -> str:
    """The stored main-pollutant text ("总磷(0.92)、…"), in English when asked."""
    if not text:
        return ""
    if lang == "zh":
        return text
    for zh, en in _english_items():
        text = text.replace(zh, en)
    return re.sub("、", "; ", text)


def _chunks(items: list[Any], n: int) -> list[list[Any]]:
    return [items[i : i + n] for i in range(0, len(items), n)]


def _met(met: Any, t: dict[str, Any]) -> str:
    """达标 / 未达标 / — (no target) in the bulletin's language."""
    return str(t["met_none"] if pd.isna(met) else (t["met_yes"] if met else t["met_no"]))


def _section_rows(b: MonthlyBulletin, t: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    idx = 0 if lang == "zh" else 1
    rows = []
    for r in b.sections.to_dict("records"):
        met = r["met"]
        jur = b.jurisdictions.get(r.get("jurisdiction") or "", (r.get("jurisdiction") or "",) * 2)[idx]
        rows.append(
            {
                "code": r["station_code"],
                "name": r.get("name") or "",
                "river": r.get("river") or "",
                "jurisdiction": jur,
                "label": r["label"] or "",
                "colour": CLASS_COLOURS[int(r["class"])] if pd.notna(r["class"]) else CLASS_COLOURS[0],
                "target": r["target"] or "—",
                "met": _met(met, t),
                "met_ok": None if pd.isna(met) else bool(met),
                "pollutants": pollutants(r["main_pollutants"], lang),
                "n": int(r["n_samples"] or 0),
            }
        )
    return rows


def _summary(b: MonthlyBulletin, t: dict[str, Any], lang: str) -> list[str]:
    s, g = b.summary, b.groups
    grade = t["grades"].get(g["grade"], g["grade"])
    lines = [
        t["summary_sections"].format(
            n=s["n_sections"], n_target=s["n_with_target"], n_met=s["n_met"], share_met=_pct(s["share_met"])
        ),
        t["summary_good"].format(
            share_good=_pct(g["share_good"]),
            share_fair=_pct(g["share_fair"]),
            share_poor=_pct(g["share_poor"]),
            grade=grade if g["proportion_method"] else t["grades"].get(b.basin_class["grade"], ""),
        ),
    ]
    res = s["reservoir"]
    if res is None:
        lines.append(t["summary_no_reservoir"])
    else:
        lines.append(
            t["summary_reservoir"].format(
                name=res["reservoir"],
                label=res["label"] or "—",
                target=res["target"] or "—",
                met=_met(res["met"], t),
                tli=_num(res["tli"]),
                grade=t["grades"].get(res["grade"], res["grade"] or "—"),
            )
        )
    wettest = b.rain_gauges.dropna(subset=["total_mm"]).sort_values("total_mm", ascending=False)
    if b.basin_rain_mm is None or wettest.empty:
        lines.append(t["summary_no_rain"])
    else:
        top = wettest.iloc[0]
        lines.append(
            t["summary_rain"].format(
                mm=_num(b.basin_rain_mm), max_name=top["name"], max_mm=_num(top["total_mm"])
            )
        )
    return lines


def _notable(b: MonthlyBulletin, lang: str) -> list[dict[str, str]]:
    rows = b.sections[b.sections["class"] >= 4]
    return [
        {
            "name": r["name"] or r["station_code"],
            "label": r["label"],
            "pollutants": pollutants(r["main_pollutants"], lang),
        }
        for r in rows.to_dict("records")
    ]


def _group_bars(b: MonthlyBulletin, t: dict[str, Any], lang: str) -> tuple[str, list[dict[str, str]]]:
    g = b.groups
    spec = (("good", CLASS_COLOURS[3]), ("fair", CLASS_COLOURS[5]), ("poor", CLASS_COLOURS[6]))
    bars = [(t[f"class_group_{k}"], int(g[f"n_{k}"]), float(g[f"share_{k}"]), colour) for k, colour in spec]
    rows = [
        {"label": r["label"], "count": str(r["count"]), "share": _pct(r["share"])}
        for r in b.shares.to_dict("records")
    ]
    return class_bars(bars, lang=lang), rows


def _discharge_rows(b: MonthlyBulletin, t: dict[str, Any], lang: str) -> list[dict[str, Any]] | None:
    """One row per facility: standard, items judged, items over the limit, verified or not."""
    d = b.discharge
    if d is None:
        return None
    if d.empty:
        return []
    name_col = "item_name" if "item_name" in d.columns and lang == "zh" else "property_code"
    out = []
    for code, rows in d.groupby("station_code", sort=True):
        over = rows[rows["exceed"].fillna(False).astype(bool)]
        items = [
            f"{r[name_col]}({_num(r['multiple'], 2)})" if pd.notna(r.get("multiple")) else str(r[name_col])
            for r in over.to_dict("records")
        ]
        code_col = "standard_code" if "standard_code" in rows else "standard"
        standard = str(rows[code_col].iloc[0] or rows["standard"].iloc[0] or "")
        klass = rows["standard_class"].iloc[0] if "standard_class" in rows else None
        out.append(
            {
                "code": code,
                "name": rows["name"].iloc[0] or "",
                "standard": standard + (f" {klass}" if isinstance(klass, str) and klass else ""),
                "n_items": int(rows["property_code"].nunique()),
                "exceed": "、".join(items) if lang == "zh" else "; ".join(items),
                "verified": bool(rows["verified"].fillna(False).astype(bool).all()),
            }
        )
    return out


def context(b: MonthlyBulletin, lang: str = "zh") -> dict[str, Any]:
    """Everything the template prints, as strings and small lists."""
    t = texts(lang)
    basin = b.basin_name if lang == "zh" or not b.basin_name_en else b.basin_name_en
    year, month = b.month.split("-")
    bars, share_rows = _group_bars(b, t, lang)
    res = b.reservoirs.assign(
        grade=b.reservoirs["grade"].map(lambda g: t["grades"].get(g, g)),
        met_ok=[None if pd.isna(m) else bool(m) for m in b.reservoirs["met"]],
        met_text=[_met(m, t) for m in b.reservoirs["met"]],
    )
    return {
        "t": t,
        "lang": lang,
        "fonts": FONTS,
        "title": t["title"].format(basin=basin),
        "subtitle": t["subtitle"].format(
            year=year, month=int(month), month_name=calendar.month_name[int(month)]
        ),
        "issued": t["issued"].format(basin=basin, time=b.generated_at),
        "summary": _summary(b, t, lang),
        "notable": _notable(b, lang),
        "sections": _section_rows(b, t, lang),
        "bars": bars,
        "share_rows": share_rows,
        "groups": b.groups,
        "basin_class": b.basin_class,
        "grade": t["grades"].get(b.groups["grade"], b.groups["grade"]),
        "basin_grade": t["grades"].get(b.basin_class["grade"], b.basin_class["grade"]),
        "map_svg": section_map(b.map, lang=lang),
        "crs": b.map.crs if b.map is not None else "",
        "reservoirs": res.to_dict("records"),
        "averaging": t["averaging"].get(b.lake_averaging, b.lake_averaging),
        "rain_gauges": b.rain_gauges.to_dict("records"),
        "rain_rows": _chunks(b.rain_gauges.to_dict("records"), GAUGES_PER_ROW),
        "gauges_per_row": GAUGES_PER_ROW,
        "rain_counties": b.rain_counties.to_dict("records"),
        "basin_rain": _num(b.basin_rain_mm),
        "completeness": b.completeness.to_dict("records"),
        "completeness_total": b.completeness_total,
        "discharge": _discharge_rows(b, t, lang),
        "num": _num,
        "pct": _pct,
        "kind_name": lambda k: t["kinds"].get(k, k),
    }


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("liuyu.report", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(b: MonthlyBulletin, lang: str = "zh") -> str:
    """The bulletin as one self-contained HTML page (no script, no external resource)."""
    return _environment().get_template("monthly.html").render(**context(b, lang))


def render_pdf(b: MonthlyBulletin, lang: str = "zh") -> bytes:
    """The bulletin as an A4 PDF, laid out by WeasyPrint from the same HTML."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(b, lang)).write_pdf()
    return pdf
