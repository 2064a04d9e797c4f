"""The bulletin rendered: HTML sections and headings, and the PDF read back as pixels and as text."""

from __future__ import annotations

import dataclasses
import io
import re

import numpy as np
import pandas as pd
import pytest
from bulletin_data import build

from liuyu.errors import ConfigError
from liuyu.report import MonthlyBulletin, build_monthly
from liuyu.report.render import pollutants, render_html, render_pdf
from liuyu.report.svg_map import FONTS
from liuyu.workspace import Workspace

ZH_HEADINGS = (
    "一、概述",
    "二、断面水质",
    "三、水质类别比例",
    "四、断面水质类别分布图",
    "五、水库营养状态",
    "六、降水",
    "八、数据完整性",
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = build(tmp_path_factory.mktemp("render") / "ws")
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def bulletin(ws: Workspace) -> MonthlyBulletin:
    return build_monthly(ws, "2024-08")


def test_html_has_every_section_in_chinese(bulletin: MonthlyBulletin) -> None:
    html = render_html(bulletin)
    assert '<html lang="zh-CN">' in html
    for heading in ZH_HEADINGS:
        assert heading in html
    assert "测试流域水环境质量月报" in html and "2024年8月" in html
    assert "总磷(1.50)" in html and "未达标" in html
    assert "轻度污染" in html  # the proportion grade
    assert "测试水库" in html and "中营养" in html
    assert "缺测 216/744 h" in html  # R3's incomplete month


def test_html_is_self_contained(bulletin: MonthlyBulletin) -> None:
    html = render_html(bulletin)
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "@page" in html and "counter(page)" in html and "WenQuanYi Micro Hei" in html
    assert html.count("<svg") == 2  # the bar chart and the map
    for colour in ("#1f6fd1", "#2ca02c", "#f2c500", "#d62728"):  # Ⅱ, Ⅲ, Ⅳ, 劣Ⅴ dots
        assert f'fill="{colour}" stroke="#222"' in html
    assert "N 北" in html and "km</text>" in html  # north arrow, scale bar


def test_english_variant(bulletin: MonthlyBulletin) -> None:
    html = render_html(bulletin, "en")
    assert '<html lang="en">' in html
    assert "Test basin Monthly Water Quality Bulletin" in html and "August 2024" in html
    assert "1. Summary" in html and "slightly polluted" in html and "mesotrophic" in html
    assert "Total phosphorus(1.50)" in html
    assert "一、概述" not in html


def test_english_pollutant_names() -> None:
    assert pollutants("总磷(0.92)、氨氮(0.10)", "en") == "Total phosphorus(0.92); Ammonia nitrogen(0.10)"
    assert pollutants("总磷(0.92)", "zh") == "总磷(0.92)"


def test_unknown_language(bulletin: MonthlyBulletin) -> None:
    with pytest.raises(ConfigError):
        render_html(bulletin, "fr")


def test_discharge_rows_mark_unverified(bulletin: MonthlyBulletin) -> None:
    frame = pd.DataFrame(
        {
            "station_code": ["NW1", "NW1", "PK1"],
            "name": ["甲村污水站", "甲村污水站", "乙排口"],
            "standard": ["db11_1612_2019", "db11_1612_2019", "gb18918_2002"],
            "standard_class": ["B", "B", "1A"],
            "property_code": ["cod", "nh3n", "cod"],
            "item_name": ["化学需氧量", "氨氮", "化学需氧量"],
            "value": [70.0, 3.0, 20.0],
            "limit": [60.0, 8.0, 50.0],
            "exceed": [True, False, False],
            "multiple": [0.17, np.nan, np.nan],
            "verified": [False, False, True],
            "n_samples": [31, 31, 31],
        }
    )
    html = render_html(dataclasses.replace(bulletin, discharge=frame))
    assert "七、污水处理设施排放达标情况" in html
    assert html.count("未核实 unverified") == 1  # NW1 (DB11/1612 limits), not PK1
    assert "化学需氧量(0.17)" in html
    assert "七、" not in render_html(bulletin)  # no facilities: no section


def _page_png_and_text(pdf: bytes, index: int = 0) -> tuple[np.ndarray, str]:
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(io.BytesIO(pdf))
    page = doc[index]
    image = page.render(scale=1.5).to_pil().convert("L")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")  # the PNG a reviewer would look at
    pixels = np.asarray(image)
    return pixels, page.get_textpage().get_text_range()


def _assert_not_blank(pixels: np.ndarray) -> None:
    dark = (pixels < 128).mean()
    assert 0.005 < dark < 0.5, f"page looks blank or black: {dark:.4f} dark"
    assert pixels.std() > 10


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "title"), [("zh", "测试流域水环境质量月报"), ("en", "Test basin Monthly Water Quality Bulletin")]
)
def test_pdf_page_one_reads_back(bulletin: MonthlyBulletin, lang: str, title: str) -> None:
    pdf = render_pdf(bulletin, lang)
    assert pdf.startswith(b"%PDF")
    pixels, text = _page_png_and_text(pdf)
    _assert_not_blank(pixels)
    assert re.sub(r"\s", "", title) in re.sub(r"\s", "", text)  # a long title wraps
    assert "断面S3" in text


@pytest.mark.slow
@pytest.mark.parametrize("text", ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ", "水质"])
def test_every_class_numeral_has_ink(text: str) -> None:
    """WenQuanYi Micro Hei has an empty glyph for Ⅴ: the font stack must draw it from another font."""
    from weasyprint import HTML

    html = f"<html><body style='font-family: {FONTS}; font-size: 80pt'>{text}</body></html>"
    pixels, read = _page_png_and_text(HTML(string=html).write_pdf())
    assert read.strip() == text
    assert (pixels < 128).sum() > 500, f"{text!r} drew no ink: a missing or empty glyph"
