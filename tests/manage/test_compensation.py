"""Ecological compensation: a hand-computed statement, the quality floor, the shipped example agreement."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from liuyu.errors import ConfigError
from liuyu.manage.compensation import statement, totals
from liuyu.manage.compensation_agreement import Agreement, load_agreement

AGREEMENT = {
    "name_zh": "测试协议",
    "name_en": "Test agreement",
    "weights": {"quantity": 0.5, "quality": 0.3, "control": 0.2},
    "quantity": {"score_cap": 1.2, "stations": [{"station": "S", "baseline_1e8m3": 5.0}]},
    "quality": {
        "items": {"codmn": 1.0, "nh3n": 1.0, "tp": 2.0},
        "target_class": "II",
        "penalty_per_class": 0.5,
        "floor_class": "IV",
    },
    "tn_reward": {"reward_per_percent_yuan": 100_000.0, "cap_yuan": 1_000_000.0},
    "control": [
        {"code": "a", "name_zh": "甲", "name_en": "A", "weight": 0.6},
        {"code": "b", "name_zh": "乙", "name_en": "B", "weight": 0.4, "direction": "lower_better"},
    ],
    "counties": [
        {
            "code": "C1",
            "name": "甲县",
            "allotment_yuan": 12_000_000.0,
            "quality_sections": ["X1", "X2"],
            "quantity": {"S": 1.0},
        }
    ],
}


def _items(nh3n_x2: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "section_key": ["X1", "X2"] * 3,
            "property_code": ["codmn"] * 2 + ["nh3n"] * 2 + ["tp"] * 2,
            "class": [2, 2, 2, nh3n_x2, 1, 2],
        }
    )


TN = pd.DataFrame({"section_key": ["X1", "X2"], "value_now": [2.0, 2.4], "value_prev": [2.5, 2.5]})
CONTROL = pd.DataFrame(
    {"county": ["C1", "C1"], "indicator": ["a", "b"], "target": [100.0, 5.0], "achieved": [90.0, 4.0]}
)


def test_hand_computed_year() -> None:
    """Allotment A = 12 000 000 for the year (f = 1).

    quantity: V = 5.5, B = 5.0 → S = 1.1 (≤ cap 1.2) → 12e6 × 0.5 × 1.1            = 6 600 000
    quality (weights 1:1:2 of 0.3): codmn worst Ⅱ → 1; nh3n worst Ⅲ (X2) → 1 − 0.5 = 0.5; tp worst Ⅱ → 1
        codmn 12e6 × 0.3 × 1/4 × 1 = 900 000; nh3n 900 000 × 0.5 = 450 000; tp 12e6 × 0.3 × 2/4 = 1 800 000
    control (of 0.2): a 90/100 = 0.9 → 12e6 × 0.2 × 0.6 × 0.9 = 1 296 000;
        b lower is better, 5/4 = 1.25 capped at 1 → 12e6 × 0.2 × 0.4 = 960 000
    TN: mean now (2.0 + 2.4)/2 = 2.2, a year before 2.5 → down 12 % → 12 × 100 000 = 1 200 000, cap 1 000 000
    total = 6 600 000 + 3 150 000 + 2 256 000 + 1 000 000 = 13 006 000
    """
    ag = Agreement.model_validate(AGREEMENT)
    volumes = pd.DataFrame({"station_key": ["S"], "volume_1e8m3": [5.5], "baseline_1e8m3": [5.0]})
    lines = statement(ag, "2024", 1.0, volumes, _items(3), TN, CONTROL)
    amount = lines.set_index("item")["amount_yuan"]
    assert amount.to_dict() == pytest.approx(
        {
            "inflow": 6_600_000,
            "codmn": 900_000,
            "nh3n": 450_000,
            "tp": 1_800_000,
            "a": 1_296_000,
            "b": 960_000,
            "tn": 1_000_000,
        }
    )
    assert lines.set_index("item").loc["nh3n", "measured"] == "Ⅲ"
    assert lines.set_index("item").loc["tn", "score"] == pytest.approx(12.0)
    total = totals(lines).iloc[0]
    assert total["total"] == pytest.approx(13_006_000)
    assert total["quality"] == pytest.approx(3_150_000)
    # every line says where its numbers came from
    src = json.loads(lines.set_index("item").loc["inflow", "sources"])
    assert src["stations"][0]["station_key"] == "S" and "weights.quantity" in src["parameters"]


def test_month_cap_and_quality_floor() -> None:
    """A month is 1/12: A·f = 1 000 000. V/B = 0.6/0.4 = 1.5 → capped 1.2 → 1e6 × 0.5 × 1.2 = 600 000.

    With NH3-N of Ⅴ at X2 (worse than the floor Ⅳ) the quantity part is withheld, and NH3-N
    scores max(0, 1 − 0.5 × 3) = 0. The TN cap is pro rata: 1 000 000 / 12 = 83 333.33.
    """
    ag = Agreement.model_validate(AGREEMENT)
    volumes = pd.DataFrame({"station_key": ["S"], "volume_1e8m3": [0.6], "baseline_1e8m3": [0.4]})
    ok = statement(ag, "2024-08", 1 / 12, volumes, _items(2), TN, CONTROL).set_index("item")
    assert ok.loc["inflow", "amount_yuan"] == pytest.approx(600_000)
    assert ok.loc["inflow", "score"] == pytest.approx(1.2)
    assert ok.loc["tn", "amount_yuan"] == pytest.approx(83_333.33)
    vetoed = statement(ag, "2024-08", 1 / 12, volumes, _items(5), TN, CONTROL).set_index("item")
    assert vetoed.loc["inflow", "amount_yuan"] == 0.0 and vetoed.loc["nh3n", "amount_yuan"] == 0.0
    # an indicator not reported scores 0, and says so
    none = statement(ag, "2024", 1.0, volumes, _items(2), TN, CONTROL.iloc[:0]).set_index("item")
    assert none.loc["a", "amount_yuan"] == 0.0 and "未报送" in none.loc["a", "basis_zh"]


def test_shipped_agreement_is_marked_as_an_example(tmp_path) -> None:
    ag, where = load_agreement()
    assert ag.example and "示例，非官方" in ag.name_zh + ag.notice_zh and where.endswith("miyun_example.toml")
    assert abs(ag.weights.quantity + ag.weights.quality + ag.weights.control - 1) < 1e-9
    bad = tmp_path / "bad.toml"
    bad.write_text('name_zh = "x"\nname_en = "x"\n[weights]\nquantity = 0.9\nquality = 0.3\ncontrol = 0.2\n')
    with pytest.raises(ConfigError, match="add up to 1"):
        load_agreement(bad)


@pytest.fixture(scope="module")
def demo(copy_demo, tmp_path_factory: pytest.TempPathFactory):
    """One copy of the session's demo for this module: checking the warnings writes events to it."""
    ws = copy_demo(tmp_path_factory.mktemp("manage_demo") / "ws")
    yield ws
    ws.close()


@pytest.mark.slow
def test_demo_compensation_cli_api_and_page(demo, tmp_path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from liuyu.api.app import create_app
    from liuyu.cli import app

    assert (demo.reports_dir / "compensation-2024-example.xlsx").exists()
    out = tmp_path / "aug.json"
    res = CliRunner().invoke(
        app, ["compensation", "-w", str(demo.root), "--year", "2024", "--month", "2024-08", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["example"] is True and body["period"] == "2024-08" and len(body["totals"]) == 5
    inflow = next(x for x in body["lines"] if x["component"] == "quantity")
    assert inflow["sources"]["stations"][0]["n_days"] == 31  # every August day of the gauge was read
    client = TestClient(create_app(demo.root))
    year = client.get("/api/compensation", params={"year": 2024}).json()
    assert {t["county_name"] for t in year["totals"]} >= {"赤城县", "丰宁满族自治县"}
    assert all(t["total"] > 0 for t in year["totals"])
    quality = [x for x in year["lines"] if x["component"] == "quality"]
    assert all(
        x["sources"]["sections"][0]["assessment_fingerprint"] for x in quality
    )  # traced to assessments
    gates = client.get("/api/gates").json()["ratings"]
    assert {g["gate"]: g["model"] for g in gates}["G03"] == "power"  # the gate that is no ideal orifice
    assert client.get("/api/gates/flow", params={"gate": "G01"}).json()["flows"]
    checked = client.post("/api/warnings/check", json={"since": "2024-07-01"}).json()
    assert checked["events"] > 0 and len(checked["new"]) == checked["events"]
    assert client.get("/api/warnings", params={"state": "open"}).json()["number"] == checked["events"]
    assert client.get("/manage").status_code in (200, 404)  # 404 only without the npm front end


@pytest.mark.slow
@pytest.mark.browser
def test_manage_page_in_chromium(demo, browser) -> None:
    from browser import new_page
    from live_server import liuyu_serve

    with (
        liuyu_serve(demo.root, ready="/api/gates") as base,
        new_page(browser, width=1280, height=720, locale=None) as page,
    ):
        page.goto(base + "/map")
        page.click("#link-manage")
        page.wait_for_selector("#comp-totals tbody tr")
        assert page.locator("#comp-totals tbody tr").count() == 5
        assert "示例" in page.inner_text("#comp-notice")
        page.click("[data-tab=gates]")
        page.wait_for_selector("#flows tbody tr")
        assert page.locator("#ratings tbody tr").count() == 3
        assert page.locator("#flow-chart path").count() == 1
        page.click("[data-tab=warnings]")
        page.click("#btn-check")
        page.wait_for_selector("#warnings tbody tr")
        page.click("#btn-lang")
        page.wait_for_function("document.querySelector('#brand').textContent.startsWith('Compensation')")
