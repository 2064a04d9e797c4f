"""`liuyu report monthly` and GET /api/reports/monthly on the hand-made basin."""

from __future__ import annotations

from pathlib import Path

import pytest
from bulletin_data import build
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from liuyu.api import create_app
from liuyu.cli import app


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = build(tmp_path_factory.mktemp("report_cmd") / "ws")
    ws.close()
    return ws.root


def test_cli_writes_html(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulletin.html"
    result = CliRunner().invoke(
        app, ["report", "monthly", "--month", "2024-08", "--out", str(out), "-w", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert "达标 met 3/6" in result.output
    assert "二、断面水质" in out.read_text(encoding="utf-8")


def test_cli_english(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulletin.htm"
    result = CliRunner().invoke(
        app, ["report", "monthly", "-m", "2024-08", "-o", str(out), "--lang", "en", "-w", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert "2. Water quality of the sections" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2024-08", "--out", "x.docx"], "cannot tell the format"),
        (["--month", "2024-Q3", "--out", "x.html"], "not a month"),
        (["--month", "2024-08", "--out", "x.html", "--lang", "fr"], "no bulletin text"),
    ],
)
def test_cli_errors(root: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["report", "monthly", *args, "-w", str(root)])
    assert result.exit_code != 0
    assert message in str(result.exception) or message in result.output


@pytest.mark.slow
def test_cli_writes_pdf(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "bulletin.pdf"
    result = CliRunner().invoke(
        app, ["report", "monthly", "--month", "2024-08", "--out", str(out), "-w", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")


def test_api_html_and_errors(root: Path) -> None:
    client = TestClient(create_app(root))
    r = client.get("/api/reports/monthly", params={"month": "2024-08"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "测试流域水环境质量月报" in r.text
    en = client.get("/api/reports/monthly", params={"month": "2024-08", "lang": "en"})
    assert "Test basin Monthly Water Quality Bulletin" in en.text
    assert client.get("/api/reports/monthly", params={"month": "2024-13"}).status_code == 400
    assert client.get("/api/reports/monthly", params={"month": "2024-08", "format": "doc"}).status_code == 422


@pytest.mark.slow
def test_api_pdf(root: Path) -> None:
    client = TestClient(create_app(root))
    r = client.get("/api/reports/monthly", params={"month": "2024-08", "format": "pdf"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    assert 'filename="bulletin-2024-08-zh.pdf"' in r.headers["content-disposition"]
