"""Photo uploads: the type from the bytes, the size limit, the name never the client's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ledger_data import BEIJING_POINT, ledger_workspace, tiny_jpeg
from liuyu.access import AccessDenied, Principal
from liuyu.manage import ledger_ops
from liuyu.manage.ledger_photos import PNG, WEBP, PhotoError, check_photo, label, sniff

ADMIN = Principal("a", "admin", "basin")
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(40)


@pytest.fixture
def ws_code(tmp_path: Path):
    ws = ledger_workspace(tmp_path / "ws")
    new = ledger_ops.NewProblem(
        "污水直排", "complaint", "pollution_source", BEIJING_POINT, deadline=dt.date(2024, 1, 1)
    )
    code = ledger_ops.add_problem(ws, ADMIN, new)["code"]
    yield ws, code
    ws.close()


def test_types_come_from_the_magic_bytes() -> None:
    assert sniff(tiny_jpeg()).ext == "jpg"
    assert sniff(PNG_BYTES) is PNG and sniff(WEBP_BYTES) is WEBP
    for bad in (
        b"GIF89a" + bytes(20),
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"%PDF-1.7",
        b"RIFF\x00\x00\x00\x00WAVE",
    ):
        assert sniff(bad) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"GIF89a" + bytes(100), "not a JPEG"),
        (b"MZ\x90\x00" + bytes(300), "not a JPEG"),  # a Windows executable renamed photo.jpg
        (tiny_jpeg() + bytes(2000), "at most"),
    ],
)
def test_bad_photos_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(PhotoError, match=message):
        check_photo(data, max_bytes=1000)


def test_a_renamed_exe_is_not_stored(ws_code) -> None:
    ws, code = ws_code
    with pytest.raises(PhotoError):
        ledger_ops.add_photo(ws, ADMIN, code, b"MZ\x90\x00" + bytes(300), "现场照片.jpg")
    assert ledger_ops.photos(ws, code).empty
    assert not (ws.root / "photos").exists() or not any((ws.root / "photos").rglob("*"))


def test_too_big_for_the_configured_limit(ws_code) -> None:
    ws, code = ws_code
    ws.config.ledger.photo_max_bytes = 100
    with pytest.raises(PhotoError, match="at most 100"):
        ledger_ops.add_photo(ws, ADMIN, code, tiny_jpeg(), "a.jpg")


def test_the_stored_name_is_the_hash_never_the_clients(ws_code) -> None:
    ws, code = ws_code
    row = ledger_ops.add_photo(ws, ADMIN, code, tiny_jpeg(), "../../../etc/passwd.jpg")
    target = ws.root / "photos" / code / f"{row['sha256']}.jpg"
    assert row["path"] == target.relative_to(ws.root).as_posix() and target.read_bytes() == tiny_jpeg()
    assert row["original_name"] == "passwd.jpg" and row["media_type"] == "image/jpeg"
    assert not (ws.root.parent / "etc").exists()
    files = [p for p in ws.root.rglob("*") if p.is_file() and "photos" in p.parts]
    assert files == [target]
    again = ledger_ops.add_photo(
        ws, ADMIN, code, tiny_jpeg(), r"C:\Users\x\IMG_1.JPG"
    )  # same picture: kept once
    assert again["id"] == row["id"] and len(ledger_ops.photos(ws, code)) == 1
    path, media = ledger_ops.photo_file(ws, code, int(row["id"]))
    assert path == target.resolve() and media == "image/jpeg"


def test_labels_lose_folders_and_control_characters() -> None:
    assert label("..\\..\\a\x00b.png") == "ab.png"
    assert label("/tmp/x/\n") is None
    assert label(None) is None


def test_viewers_cannot_upload(ws_code) -> None:
    ws, code = ws_code
    with pytest.raises(AccessDenied):
        ledger_ops.add_photo(ws, Principal("v", "viewer", "basin"), code, tiny_jpeg(), "a.jpg")
    with pytest.raises(AccessDenied):
        ledger_ops.add_photo(ws, Principal("h", "editor", "hebei"), code, PNG_BYTES, "a.png")
