"""Oversized uploads and zip bombs through the HTTP API: a clear refusal, and nothing stored.

Each hostile upload must be answered with 4xx and a message saying what is wrong; afterwards the
workspace holds no new version, no source copy and no quarantined rows, and no temporary
folder of the upload or of the extracted archive is left behind.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import township_frame
from liuyu.api.app import create_app
from liuyu.config import save_config
from liuyu.ingest import safety

MAX_UPLOAD = 3_000_000
MAX_BODY = 50_000


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder of uploads and extracted archives, private to the test, to count leftovers."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def api(workspace: Any, private_tmp: Path) -> Iterator[tuple[TestClient, Any]]:
    workspace.config.server.max_upload_bytes = MAX_UPLOAD
    workspace.config.server.max_body_bytes = MAX_BODY
    save_config(workspace.config, workspace.root / "liuyu.toml")
    yield TestClient(create_app(workspace.root)), workspace


def townships_geojson() -> bytes:
    buf = io.BytesIO()
    township_frame(4).to_file(buf, driver="GeoJSON")
    return buf.getvalue()


def zipped(members: dict[str, bytes], *, level: int = 9) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def upload(client: TestClient, name: str, body: bytes) -> Any:
    return client.post("/api/ingest", files={"file": (name, body)}, data={"category": "townships"})


def assert_nothing_stored(ws: Any, private_tmp: Path) -> None:
    assert ws.versions("townships") == []
    sources = ws.root / "sources"
    assert not sources.exists() or not any(p.is_file() for p in sources.rglob("*")), "a source copy was kept"
    assert list(private_tmp.iterdir()) == [], "temporary upload or archive folders left behind"


def assert_refused(r: Any, status: int, *words: str) -> None:
    assert r.status_code == status, r.text
    text = r.json()["description"]
    for word in words:
        assert word in text, (word, text)


# --- sizes ------------------------------------------------------------------------------------


def test_an_upload_over_the_configured_limit_is_413_before_it_is_read(api, private_tmp):
    client, ws = api
    r = upload(client, "big.geojson", b" " * (MAX_UPLOAD + 1))
    assert_refused(r, 413, "上传文件过大", "The upload is too large", f"{MAX_UPLOAD:,}", "max_upload_bytes")
    assert r.json()["hint"]
    assert_nothing_stored(ws, private_tmp)
    ok = upload(client, "townships.geojson", townships_geojson())  # under the limit: ingested
    assert ok.status_code == 201, ok.text


def test_a_body_without_content_length_is_counted_as_it_arrives(api, private_tmp):
    client, ws = api

    def chunks(n: int) -> Iterator[bytes]:
        piece = b"x" * 10_000
        for _ in range(n // len(piece) + 1):
            yield piece

    multipart = {"content-type": "multipart/form-data; boundary=xyz"}
    r = client.post("/api/ingest", content=chunks(MAX_UPLOAD * 2), headers=multipart)
    assert r.status_code in (411, 413), r.text  # the ingest route also wants the size declared
    problems_before = client.get("/api/ledger/problems").json()["problems"]
    r = client.post(
        "/api/ledger/problems", content=chunks(MAX_BODY * 3), headers={"content-type": "application/json"}
    )
    assert_refused(r, 413, "请求内容过大", "too large", f"{MAX_BODY:,}", "max_body_bytes")
    photo = client.post(
        "/api/ledger/problems/WT-1/photos",
        content=chunks(MAX_UPLOAD * 2),
        headers=multipart,
    )
    assert_refused(photo, 413, "The upload is too large")
    assert client.get("/api/ledger/problems").json()["problems"] == problems_before
    assert_nothing_stored(ws, private_tmp)


def test_a_json_body_over_the_limit_is_413(api):
    client, _ = api
    body = {"title": "x" * (MAX_BODY + 10), "source": "inspection", "category": "illegal_dumping"}
    r = client.post("/api/ledger/problems", json=body)
    assert_refused(r, 413, "请求内容过大", f"{MAX_BODY:,}")
    assert client.get("/api/ledger/problems").json()["problems"] == []


# --- archives ---------------------------------------------------------------------------------


def test_a_real_zip_bomb_is_refused_with_the_default_limits(api, private_tmp):
    client, ws = api
    bomb = zipped({"townships.geojson": townships_geojson(), "townships.dbf": bytes(120 * 1024**2)})
    assert len(bomb) < 200_000  # 120 MB of zeros in ~120 kB
    r = upload(client, "delivery.zip", bomb)
    assert_refused(r, 400, "zip bomb", "expand")
    assert_nothing_stored(ws, private_tmp)


def test_total_uncompressed_size_is_limited(api, private_tmp, monkeypatch):
    client, ws = api
    monkeypatch.setattr(safety, "MAX_TOTAL_BYTES", 1_000_000)
    members = {f"part{i}.txt": os.urandom(300_000) for i in range(4)}  # incompressible: no ratio alarm
    members["townships.geojson"] = townships_geojson()
    r = upload(client, "delivery.zip", zipped(members, level=1))
    assert_refused(r, 400, "beyond the limit")
    assert_nothing_stored(ws, private_tmp)


def test_an_archive_inside_the_archive_is_not_opened(api, private_tmp):
    client, ws = api
    inner = zipped({"townships.geojson": townships_geojson()})
    r = upload(client, "outer.zip", zipped({"inner.zip": inner, "readme.txt": b"see inner.zip"}))
    assert_refused(r, 400, "inner.zip", "archive inside the archive")
    assert_nothing_stored(ws, private_tmp)
    deeper = zipped({"level2.zip": zipped({"level3.zip": inner})})
    r = upload(client, "nested.zip", deeper)
    assert_refused(r, 400, "archive inside the archive")
    assert_nothing_stored(ws, private_tmp)


def test_too_many_members(api, private_tmp):
    client, ws = api
    many = {f"f{i:05d}.txt": b"" for i in range(safety.MAX_ENTRIES + 1)}
    many["townships.geojson"] = townships_geojson()
    body = zipped(many, level=1)
    assert len(body) < MAX_UPLOAD
    r = upload(client, "many.zip", body)
    assert_refused(r, 400, f"more than the limit of {safety.MAX_ENTRIES}")
    assert_nothing_stored(ws, private_tmp)


@pytest.mark.parametrize(
    "member",
    ["../../outside.geojson", "/tmp/outside.geojson", "a/../../outside.geojson", "..\\outside.geojson"],
)
def test_traversal_member_names_are_refused(api, private_tmp, tmp_path, member):
    client, ws = api
    r = upload(client, "evil.zip", zipped({member: townships_geojson(), "readme.txt": b"x"}))
    assert_refused(r, 400, "unsafe entry name")
    assert_nothing_stored(ws, private_tmp)
    assert not list(tmp_path.rglob("outside.geojson")) and not Path("/tmp/outside.geojson").exists()


def test_a_symlink_member_is_refused(api, private_tmp):
    client, ws = api
    info = zipfile.ZipInfo("townships.geojson")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, str(ws.root / "liuyu.toml"))
    r = upload(client, "link.zip", buf.getvalue())
    assert_refused(r, 400, "symbolic link")
    assert_nothing_stored(ws, private_tmp)


def test_a_traversal_upload_file_name_stays_in_its_folder(api, private_tmp, tmp_path):
    client, ws = api
    r = upload(client, "../../../escaped.geojson", townships_geojson())
    assert r.status_code == 201, r.text
    assert not list(tmp_path.rglob("escaped.geojson"))
    assert r.json()["source"]["name"] == "escaped.geojson"
    for bad in ("..", "/", "."):
        r = upload(client, bad, townships_geojson())
        assert r.status_code == 400, (bad, r.text)
    assert len(ws.versions("townships")) == 1


def test_nul_characters_are_refused_everywhere(api):
    """Neither store can hold a NUL in text (SQLite cuts it there, PostgreSQL refuses): always a 400."""
    client, _ = api
    body = {"title": "a\u0000b", "source": "inspection", "category": "illegal_dumping"}
    r = client.post("/api/ledger/problems", json=body | {"longitude": 117.0, "latitude": 40.5})
    assert_refused(r, 400, "NUL")
    r = client.post(
        "/api/login",
        content=b"user=a%00&password=b",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_refused(r, 400, "NUL")
    for url in ("/api/search?q=%00", "/collections/townships/items?name=x%00", "/api/ledger/problems/WT%00"):
        assert_refused(client.get(url), 400, "NUL")
    assert client.get("/api/ledger/problems").json()["problems"] == []
    ok = client.post(
        "/api/ledger/problems",
        json=body | {"title": "a\\u0000b (text)", "longitude": 117.0, "latitude": 40.5},
    )
    assert ok.status_code == 201, ok.text  # an escaped backslash is text, not a NUL
