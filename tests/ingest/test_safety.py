"""Untrusted deliveries: magic-byte sniffing, empty files, zip bombs, traversal, symlinks, GBK names."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from liuyu.errors import IngestError, LiuyuError
from liuyu.ingest import safety
from liuyu.ingest.readers import list_layers, open_delivery
from liuyu.ingest.safety import check_not_empty, check_zip, entry_name, extract_zip, sniff


def gbk_zip(path: Path, files: dict[str, bytes]) -> Path:
    """A zip whose entry names are CP936 bytes without the UTF-8 flag, as Windows writes them.

    zipfile always writes non-ASCII names as flagged UTF-8, so each name is written as an
    ASCII placeholder of the same byte length and the bytes are patched afterwards.
    """
    swaps = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(files.items()):
            raw = name.encode("gbk")
            placeholder = f"~{i:02d}".ljust(len(raw), "~").encode("ascii")
            assert len(placeholder) == len(raw)
            swaps[placeholder] = raw
            zf.writestr(placeholder.decode("ascii"), data)
    blob = path.read_bytes()
    for placeholder, raw in swaps.items():
        blob = blob.replace(placeholder, raw)
    path.write_bytes(blob)
    return path


def assert_helpful(exc: pytest.ExceptionInfo[BaseException]) -> None:
    assert isinstance(exc.value, LiuyuError)
    assert exc.value.hint, "every error says what to do"


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"<!DOCTYPE html><html><body>404 Not Found</body></html>", "html"),
        (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"></kml>', "kml"),
        (b'{"type": "FeatureCollection", "features": []}', "json"),
        (b"\xef\xbb\xbf  \n[1, 2]", "json"),
        (b"  0\nSECTION\n  2\nHEADER\n", "dxf"),
        ("站码,经度,纬度\n1,116.5,40.5\n".encode("gbk"), "text"),
        (b"SQLite format 3\x00" + b"\x00" * 100, "sqlite"),
        (b"II*\x00" + b"\x00" * 100, "tiff"),
        (b"\x00\x00\x27\x0a" + b"\x00" * 100, "shp"),
        (b"AC1018" + b"\x00" * 100, "dwg"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "ole2"),
        (b"Rar!\x1a\x07\x00" + b"\x00" * 10, "rar"),
        (b"\x01\x02\x00\x03" * 10, "binary"),
    ],
)
def test_sniff_by_magic_bytes(tmp_path: Path, content: bytes, kind: str) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(content)
    assert sniff(path).kind == kind


def test_sniff_tells_zip_flavours(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("rivers.shp", b"x")
    assert sniff(path).description == "a ZIP archive holding a Shapefile"
    assert sniff(tmp_path).kind == "directory"


@pytest.mark.parametrize("name", ["rivers.shp", "stations.csv", "rivers.geojson", "dem.tif", "a.zip"])
@pytest.mark.parametrize("content", [b"", b"  \r\n"])
def test_empty_file_is_refused(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match="the file is empty") as exc:
        open_delivery(path)
    assert_helpful(exc)
    with pytest.raises(IngestError, match="the file is empty"):
        check_not_empty(path)


# --- zip entries ----------------------------------------------------------------------------


def test_gbk_entry_names_are_decoded(tmp_path: Path) -> None:
    path = gbk_zip(tmp_path / "delivery.zip", {"乡镇界/河流.txt": b"hello", "说明.txt": b"x"})
    with zipfile.ZipFile(path) as zf:
        names = sorted(entry_name(i) for i in zf.infolist())
        assert all(not (i.flag_bits & 0x800) for i in zf.infolist())
    assert names == ["乡镇界/河流.txt", "说明.txt"]
    with extract_zip(path) as archive:
        assert (archive.root / "乡镇界" / "河流.txt").read_bytes() == b"hello"
        assert sorted(archive.members.values()) == ["乡镇界/河流.txt", "说明.txt"]


def test_utf8_flagged_names_stay(tmp_path: Path) -> None:
    path = tmp_path / "u.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("水库.txt", b"x")
    with zipfile.ZipFile(path) as zf:
        assert entry_name(zf.infolist()[0]) == "水库.txt"


def test_archive_is_private_and_cleaned_up(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("dir/file.txt", b"x" * 10)
    archive = extract_zip(path)
    assert stat.S_IMODE(archive.root.stat().st_mode) == 0o700
    assert (archive.root / "dir" / "file.txt").exists()
    archive.cleanup()
    assert not archive.root.exists()


@pytest.mark.parametrize(
    "name", ["../evil.shp", "a/../../evil.shp", "/etc/evil.shp", "C:/evil.shp", "..\\evil.shp"]
)
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ok.txt", b"x")
        zf.writestr(zipfile.ZipInfo(name), b"x")
    with pytest.raises(IngestError, match="unsafe entry name") as exc:
        check_zip(path)
    assert_helpful(exc)
    with pytest.raises(IngestError, match="unsafe entry name"):
        open_delivery(path)
    assert not (tmp_path.parent / "evil.shp").exists()


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    info = zipfile.ZipInfo("rivers.shp")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(IngestError, match="symbolic link") as exc:
        extract_zip(path)
    assert_helpful(exc)


def test_zip_bomb_ratio_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "RATIO_MIN_BYTES", 10_000)
    monkeypatch.setattr(safety, "MAX_ENTRY_RATIO", 50.0)
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("rivers.dbf", b"\x00" * 200_000)  # ~200 bytes compressed: ratio ~1000
    assert path.stat().st_size < 2_000
    with pytest.raises(IngestError, match="zip bomb") as exc:
        open_delivery(path)
    assert_helpful(exc)
    assert "expand" in exc.value.message


def test_zip_total_size_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_TOTAL_BYTES", 50_000)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(3):
            zf.writestr(f"part{i}.bin", b"ab" * 10_000)
    with pytest.raises(IngestError, match="beyond the limit") as exc:
        extract_zip(path)
    assert_helpful(exc)


def test_zip_entry_count_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "MAX_ENTRIES", 3)
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(5):
            zf.writestr(f"f{i}.txt", b"x")
    with pytest.raises(IngestError, match="more than the limit of 3"):
        check_zip(path)


def test_damaged_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.txt", b"abc" * 1000)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(IngestError, match="not a readable ZIP archive") as exc:
        open_delivery(path)
    assert_helpful(exc)


def test_archive_without_data_says_what_it_saw(tmp_path: Path) -> None:
    path = tmp_path / "odd.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", b"see attached")
        zf.writestr("rivers.shp", b"<html>not found</html>")
        zf.writestr("inner.zip", b"PK\x05\x06" + b"\x00" * 18)
        zf.writestr("__MACOSX/._rivers.shp", b"\x00\x05\x16\x07")
    with pytest.raises(IngestError, match="no readable dataset inside") as exc:
        list_layers(path)
    assert "rivers.shp (looks like an HTML web page" in exc.value.message
    assert "inner.zip (an archive inside the archive" in exc.value.message
