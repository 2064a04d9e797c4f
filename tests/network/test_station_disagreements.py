"""`liuyu ingest stations` shows where two agencies' lists disagree, and its JSON report keeps them.

Also: longitude/latitude attribute columns follow the coordinates' winner (station_priority.toml),
so a merged station never shows one agency's point with the other's longitude.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

from liuyu.network.stations import reconcile

REGISTRY = gpd.GeoDataFrame(
    {
        "code": ["1101SZ001", "1101SZ002"],
        "name": ["白河入境（冀京界）", "潮河入境（冀京界）"],
        "kind": ["water_quality", "water_quality"],
        "agency": ["北京市生态环境监测中心", "北京市生态环境监测中心"],
        "target_class": ["II", "II"],
        "aliases": ["1307SZ901", "1308SZ902"],
        "longitude": [116.0870, 117.1460],
        "latitude": [40.6254, 40.6937],
    },
    geometry=[Point(116.0870, 40.6254), Point(117.1460, 40.6937)],
    crs="EPSG:4490",
)
HEBEI = """站码,站名,站类,管理单位,经度,纬度,目标水质
1307SZ901,白河入境断面,water_quality,河北省水文勘测研究中心,116.0882,40.6261,III
1308SZ902,潮河入境（冀京界）,water_quality,承德市生态环境局,117.1500,40.6950,III
"""


def _delivered(x: float, y: float, agency: str) -> gpd.GeoDataFrame:
    one = REGISTRY.iloc[[0]].copy()
    one["code"], one["aliases"], one["agency"] = "1307SZ901", None, agency
    one["longitude"], one["latitude"] = x, y
    return one.set_geometry([Point(x, y)], crs="EPSG:4490")


def test_position_columns_follow_the_coordinates_winner() -> None:
    # the hydrological bureau wins coordinates: point and longitude/latitude move together
    merged, report = reconcile(REGISTRY, _delivered(116.0882, 40.6261, "河北省水文勘测研究中心"))
    row = merged.set_index("code").loc["1101SZ001"]
    assert (row.geometry.x, row["longitude"], row["latitude"]) == (116.0882, 116.0882, 40.6261)
    # an ecology bureau under another agency's code does not: all three stay
    merged, report = reconcile(REGISTRY, _delivered(116.0882, 40.6261, "承德市生态环境局"))
    row = merged.set_index("code").loc["1101SZ001"]
    assert (row.geometry.x, row["longitude"], row["latitude"]) == (116.0870, 116.0870, 40.6254)
    fields = [d["field"] for d in report["disagreements"]]
    assert "coordinates" in fields and "longitude" not in fields and "latitude" not in fields


def test_cli_prints_the_disagreements_and_the_report_keeps_them(workspace, tmp_path: Path) -> None:
    workspace.write_layer("stations", REGISTRY)
    path = tmp_path / "hebei.csv"
    path.write_text(HEBEI, encoding="utf-8")
    env = {**os.environ, "COLUMNS": "220"}
    env.pop("LIUYU_WORKSPACE", None)
    cmd = [sys.executable, "-m", "liuyu", "ingest", "stations", str(path), "--crs", "EPSG:4490"]
    done = subprocess.run(
        [*cmd, "--jurisdiction", "hebei", "-w", str(workspace.root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "单位间分歧 Disagreements between agencies (5)" in out
    lines = [line for line in out.splitlines() if "1101SZ00" in line and "│" in line]
    cells = [[c.strip() for c in line.strip("│ ").split("│")] for line in lines]
    kept = {(c[0], c[2]): c[5] for c in cells}
    assert kept == {
        ("1101SZ001", "name"): "登记 registered (北京市生态环境监测中心)",
        ("1101SZ001", "target_class"): "登记 registered (北京市生态环境监测中心)",
        ("1101SZ001", "coordinates"): "来文 delivered (河北省水文勘测研究中心)",
        ("1101SZ002", "target_class"): "来文 delivered (承德市生态环境局)",
        ("1101SZ002", "coordinates"): "登记 registered (北京市生态环境监测中心)",
    }
    report = sorted((workspace.root / "reports" / "ingest").glob("*stations*.json"))[-1]
    saved = json.loads(report.read_text(encoding="utf-8"))["reconciliation"]
    assert len(saved["disagreements"]) == 5 and saved["counts"]["alias"] == 2
    assert {d["winner"] for d in saved["disagreements"]} == {"registered", "delivered"}
