"""The bulletin's reservoir section states the class ``liuyu assess`` gives the reservoir (assess_lakes).

Hand-made reservoir 测试水库 (target Ⅱ) with two points sampled unevenly in August 2024:

* P1 twice: TP 0.01, 0.01 (lake limits: Ⅱ ≤ 0.025, Ⅲ ≤ 0.05); chl-a 2, 2.
* P2 once: TP 0.045; chl-a 8.

Time, then space (the default): TP (0.01 + 0.045) / 2 = 0.0275 → Ⅲ, not met;
chl-a (2 + 8) / 2 = 5. Pooled: TP (0.01 + 0.01 + 0.045) / 3 = 0.02167 → Ⅱ, met; chl-a 12 / 3 = 4.
The month-mean-per-point shortcut the bulletin used before would say Ⅲ whatever the setting.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import shapely

import liuyu
from assess_data import lab, sections
from liuyu.assess.run import assess_lakes
from liuyu.report import build_monthly
from liuyu.report.render import render_html
from liuyu.workspace import Workspace


def _build(root: Path) -> Workspace:
    ws = liuyu.init(root, basin_name="测试流域", basin_name_en="Test basin")
    st = sections([("P1", "lake_reservoir", "II", 116.9), ("P2", "lake_reservoir", "II", 116.95)])
    st["river"] = "测试水库"
    ws.write_layer("stations", st)
    ws.append_observations(
        pd.concat(
            [
                lab("P1", "2024-08-05 10:00", {"tp": 0.01, "chla": 2.0}),
                lab("P1", "2024-08-20 10:00", {"tp": 0.01, "chla": 2.0}),
                lab("P2", "2024-08-06 10:00", {"tp": 0.045, "chla": 8.0}),
            ],
            ignore_index=True,
        )
    )
    return ws


def _tli(chla: float, tp: float) -> float:
    """TLI(Σ) of chl-a and TP only (DOMAIN.md §2): weights 1 and 0.84², renormalised over the two."""
    parts = {1.0: 10 * (2.5 + 1.086 * math.log(chla)), 0.84**2: 10 * (9.436 + 1.624 * math.log(tp))}
    return sum(w * v for w, v in parts.items()) / sum(parts)


@pytest.mark.parametrize(
    ("averaging", "label", "met", "chla", "tp"),
    [("time_then_space", "Ⅲ", False, 5.0, 0.0275), ("pooled", "Ⅱ", True, 4.0, 0.065 / 3)],
)
def test_bulletin_reservoir_follows_the_engine(
    tmp_path: Path, averaging: str, label: str, met: bool, chla: float, tp: float
) -> None:
    ws = _build(tmp_path / "ws")
    ws.config.assess.lake_averaging = averaging  # type: ignore[assignment]
    engine = assess_lakes(ws, "2024-08").set_index("name").loc["测试水库"]
    b = build_monthly(ws, "2024-08")
    res = b.reservoirs.set_index("reservoir").loc["测试水库"]
    assert (res["label"], bool(res["met"]), res["target"]) == (label, met, "Ⅱ")
    assert (res["label"], res["met"], res["n_points"]) == (engine["label"], engine["met"], engine["n_points"])
    assert res["chla"] == pytest.approx(chla)
    assert res["tp"] == pytest.approx(tp)
    assert res["tli"] == pytest.approx(_tli(chla, tp), abs=1e-6)
    assert b.summary["reservoir"]["label"] == label
    html = render_html(b, "zh")
    assert f"测试水库水质为{label}类（水质目标Ⅱ类，{'达标' if met else '未达标'}）" in html
    ws.close()


def test_reservoir_polygon_decides_the_water_body(tmp_path: Path) -> None:
    """Points inside a reservoirs polygon belong to it even when their river field says otherwise."""
    import geopandas as gpd

    ws = _build(tmp_path / "ws")
    st = ws.read_layer("stations")
    st["river"] = ["库区甲", "库区乙"]  # two names: the old river-field grouping would split them
    ws.write_layer("stations", st)
    poly = shapely.box(116.85, 40.3, 117.0, 40.7)
    ws.write_layer(
        "reservoirs",
        gpd.GeoDataFrame({"code": ["SK9"], "name": ["测试水库"]}, geometry=[poly], crs="EPSG:4490"),
    )
    b = build_monthly(ws, "2024-08")
    assert b.reservoirs["reservoir"].tolist() == ["测试水库"]
    assert b.reservoirs["n_points"].tolist() == [2]
    assert b.reservoirs["label"].tolist() == ["Ⅲ"]
    ws.close()


def test_map_tints_the_reservoir_by_its_class(tmp_path: Path) -> None:
    import geopandas as gpd

    from liuyu.report.svg_map import CLASS_COLOURS, section_map

    ws = _build(tmp_path / "ws")
    poly = shapely.box(116.85, 40.3, 117.0, 40.7)
    ws.write_layer(
        "reservoirs",
        gpd.GeoDataFrame({"code": ["SK9"], "name": ["测试水库"]}, geometry=[poly], crs="EPSG:4490"),
    )
    b = build_monthly(ws, "2024-08")
    assert b.map is not None and b.map.layers["reservoirs"]["class"].tolist() == [3]
    svg = section_map(b.map)
    assert 'class="reservoir-class" data-class="3"' in svg and f'fill="{CLASS_COLOURS[3]}"' in svg
    ws.close()
