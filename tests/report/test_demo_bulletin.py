"""The bulletin of the demo basin for August 2024 (the demo has data from 2022-01 to 2024-12)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from liuyu.report import build_monthly
from liuyu.report.render import render_html, render_pdf


@pytest.mark.slow
def test_demo_bulletin_2024_08(demo_copy) -> None:
    demo = demo_copy  # the bulletin stores the month's assessments
    pdfium = pytest.importorskip("pypdfium2")
    b = build_monthly(demo, "2024-08")
    assert len(b.sections) > 50  # most of the ~100 sections sampled this month
    assert b.basin_rain_mm is not None and b.basin_rain_mm > 0  # flood season
    assert not b.reservoirs.empty and b.reservoirs["tli"].notna().all()
    assert b.map is not None and {"basin", "counties", "townships"} <= set(b.map.layers)
    assert b.completeness_total["expected"] > 0
    html = render_html(b)
    assert "密云水库" in html and "四、断面水质类别分布图" in html
    if b.discharge is not None and not b.discharge["verified"].all():
        assert "未核实 unverified" in html
    doc = pdfium.PdfDocument(io.BytesIO(render_pdf(b)))
    assert len(doc) >= 3
    text = doc[0].get_textpage().get_text_range()
    assert "水环境质量月报" in text
    pixels = np.asarray(doc[0].render(scale=1.0).to_pil().convert("L"))
    assert 0.005 < (pixels < 128).mean() < 0.5
