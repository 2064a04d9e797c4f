"""Untrusted deliveries: what a file really is (magic bytes), and zip archives opened safely.

Every reader goes through here before GDAL, pandas or openpyxl sees a byte: an empty file,
a file that is not what its extension says, a zip bomb, a path-traversal or symlink entry
is refused with a message saying what is wrong and what to do, never a traceback.
"""

from __future__ import annotations

import shutil
import stat
import struct
import tempfile
import weakref
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from liuyu.errors import IngestError

__all__ = [
    "MAX_ENTRIES",
    "MAX_ENTRY_RATIO",
    "MAX_TOTAL_BYTES",
    "RATIO_MIN_BYTES",
    "Archive",
    "Sniffed",
    "check_not_empty",
    "check_zip",
    "entry_name",
    "extract_zip",
    "sniff",
]

MAX_TOTAL_BYTES = 4 * 1024**3
"""Largest total uncompressed size of an archive (a land-use survey shapefile is ~1-2 GB)."""
MAX_ENTRY_RATIO = 1000.0
"""Largest uncompressed/compressed ratio of one entry (sparse .dbf files reach a few hundred)."""
RATIO_MIN_BYTES = 1024**2
"""Entries smaller than this are not held to the ratio cap (a 10 kB run of spaces is harmless)."""
MAX_ENTRIES = 10_000
"""Most entries in one archive (a FileGDB has a few hundred files)."""

_CHUNK = 1024**2
_HEAD = 4096
_UNICODE_PATH_EXTRA = 0x7075  # Info-ZIP Unicode Path extra field
_NAME_HINT = "ask the agency for a plain zip of the data files (Windows 'Send to > Compressed folder')"


@dataclass(frozen=True)
class Sniffed:
    """What a file looks like from its first bytes: a short ``kind`` and words for a message."""

    kind: str
    description: str


_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "zip", "a ZIP archive"),
    (b"PK\x05\x06", "zip", "an empty ZIP archive"),
    (b"\x00\x00\x27\x0a", "shp", "a Shapefile geometry file (.shp)"),
    (b"SQLite format 3\x00", "sqlite", "an SQLite database (e.g. a GeoPackage)"),
    (b"II*\x00", "tiff", "a TIFF image"),
    (b"MM\x00*", "tiff", "a TIFF image"),
    (b"II+\x00", "tiff", "a BigTIFF image"),
    (b"MM\x00+", "tiff", "a BigTIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2", "an old Microsoft Office file (.xls/.doc/.mdb)"),
    (b"Standard Jet DB", "mdb", "a Microsoft Access database (.mdb)"),
    (b"%PDF", "pdf", "a PDF document"),
    (b"\x1f\x8b", "gzip", "a gzip-compressed file"),
    (b"Rar!\x1a\x07", "rar", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z", "a 7-Zip archive"),
    (b"\x89PNG", "png", "a PNG image"),
    (b"\xff\xd8\xff", "jpeg", "a JPEG image"),
    (b"AC10", "dwg", "an AutoCAD DWG drawing"),
)


def check_not_empty(path: Path) -> None:
    """Refuse a file of 0 bytes (or only blanks): a failed export or download, not data."""
    size = path.stat().st_size
    if size == 0 or (size <= _HEAD and not path.read_bytes().lstrip(b"\xef\xbb\xbf \t\r\n\x00")):
        raise IngestError(
            f"{path.name}: the file is empty ({size} bytes)",
            hint="the export or download probably failed; ask the agency to send the file again",
        )


def _zip_flavour(path: Path) -> Sniffed:
    """Tell a plain zip from the zip-based formats (xlsx, docx, kmz) by its entry names."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n.lower() for n in zf.namelist()[:MAX_ENTRIES]]
    except (zipfile.BadZipFile, OSError, ValueError):
        return Sniffed("zip", "a damaged ZIP archive")
    if "xl/workbook.xml" in names:
        return Sniffed("zip", "an Excel workbook (.xlsx, a ZIP archive)")
    if "word/document.xml" in names:
        return Sniffed("zip", "a Word document (.docx, a ZIP archive)")
    if any(n.endswith(".kml") for n in names) and len(names) < 50:
        return Sniffed("zip", "a KMZ (zipped KML)")
    if any(n.endswith(".shp") for n in names):
        return Sniffed("zip", "a ZIP archive holding a Shapefile")
    return Sniffed("zip", "a ZIP archive")


def _sniff_text(head: bytes) -> Sniffed:
    """Classify text files: HTML error pages, KML/XML, JSON, DXF, CSV-like text."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Sniffed("text", "a UTF-16 text file")
    if b"\x00" in head:
        return Sniffed("binary", "an unrecognised binary file")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").decode("utf-8", errors="ignore")
    low = text[:1024].lower()
    if low.startswith("<"):
        if "<!doctype html" in low or "<html" in low:
            return Sniffed("html", f"an HTML web page (starts with {text[:40]!r})")
        if "<kml" in low:
            return Sniffed("kml", "a KML document")
        return Sniffed("xml", "an XML document")
    if low.startswith(("{", "[")):
        return Sniffed("json", "a JSON document")
    lines = [line.strip() for line in low.splitlines()[:4]]
    if len(lines) >= 2 and lines[0] in {"0", "999"} and ("section" in lines or lines[0] == "999"):
        return Sniffed("dxf", "a DXF drawing")
    return Sniffed("text", "a plain-text file")


def sniff(path: Path) -> Sniffed:
    """Say what a file is from its magic bytes, whatever its extension claims.

    Kinds: ``zip``, ``shp``, ``sqlite``, ``tiff``, ``ole2``, ``mdb``, ``pdf``, ``gzip``,
    ``rar``, ``7z``, ``png``, ``jpeg``, ``dwg``, ``html``, ``kml``, ``xml``, ``json``,
    ``dxf``, ``text``, ``binary``, ``empty`` and ``directory``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "rivers.shp"
    >>> _ = p.write_text("<!DOCTYPE html><html>404</html>")
    >>> sniff(p).kind
    'html'
    """
    if path.is_dir():
        return Sniffed("directory", "a folder")
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head:
        return Sniffed("empty", "an empty file")
    for magic, kind, description in _MAGIC:
        if head.startswith(magic):
            return _zip_flavour(path) if kind == "zip" else Sniffed(kind, description)
    return _sniff_text(head)


def _unicode_path_extra(extra: bytes) -> str | None:
    """The UTF-8 name in an Info-ZIP Unicode Path extra field (0x7075), if present."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if tag == _UNICODE_PATH_EXTRA and size > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        pos += 4 + size
    return None


def entry_name(info: zipfile.ZipInfo) -> str:
    """The real name of a zip entry: Windows zips from Chinese agencies use CP936 (GBK) names
    without the UTF-8 flag, which Python decodes as CP437 mojibake."""
    if info.flag_bits & 0x800:
        return info.filename
    unicode_name = _unicode_path_extra(info.extra)
    if unicode_name:
        return unicode_name
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _safe_parts(name: str, archive: Path) -> tuple[str, ...]:
    """The entry's path parts, refusing absolute paths, drive letters and ``..``."""
    norm = name.replace("\\", "/")
    parts = tuple(p for p in PurePosixPath(norm).parts if p not in {"", "."})
    bad = norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or ".." in parts
    if bad or not parts:
        raise IngestError(
            f"{archive.name}: unsafe entry name {name!r} (absolute path, drive letter or '..')",
            hint="such entries could overwrite files outside the archive; the archive is refused. "
            + _NAME_HINT,
        )
    return parts


def _check_entry(info: zipfile.ZipInfo, name: str, archive: Path) -> None:
    mode = info.external_attr >> 16
    if info.create_system == 3 and stat.S_ISLNK(mode):
        raise IngestError(
            f"{archive.name}: entry {name!r} is a symbolic link",
            hint="links could point outside the archive; the archive is refused. " + _NAME_HINT,
        )
    if info.flag_bits & 0x1:
        raise IngestError(
            f"{archive.name}: entry {name!r} is password-protected",
            hint="ask the agency for an archive without a password",
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= RATIO_MIN_BYTES and ratio > MAX_ENTRY_RATIO:
        raise IngestError(
            f"{archive.name}: entry {name!r} would expand {ratio:.0f}-fold "
            f"({info.compress_size} → {info.file_size} bytes), beyond the limit of {MAX_ENTRY_RATIO:.0f}",
            hint="this looks like a zip bomb; the archive is refused. If it is genuine data, unzip it "
            "yourself and ingest the files",
        )


@dataclass(frozen=True)
class ZipEntry:
    """A checked zip entry: its decoded name, safe relative parts and declared size."""

    info: zipfile.ZipInfo
    name: str
    parts: tuple[str, ...]


def check_zip(path: Path) -> list[ZipEntry]:
    """Check an archive against the limits without extracting it; return its entries.

    Raises
    ------
    IngestError
        A damaged archive, too many entries, too large in total, an entry compressed beyond
        :data:`MAX_ENTRY_RATIO`, a path-traversal name, a symlink or a password.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError(
            f"{path.name}: not a readable ZIP archive ({exc})",
            hint="the file may be incomplete; ask the agency to send it again",
        ) from exc
    if len(infos) > MAX_ENTRIES:
        raise IngestError(
            f"{path.name}: {len(infos)} entries, more than the limit of {MAX_ENTRIES}",
            hint="split the delivery into smaller archives, one layer each",
        )
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL_BYTES:
        raise IngestError(
            f"{path.name}: would expand to {total} bytes, beyond the limit of {MAX_TOTAL_BYTES}",
            hint="this may be a zip bomb; if it is genuine data, split it into smaller archives",
        )
    entries = []
    for info in infos:
        name = entry_name(info)
        parts = _safe_parts(name, path)
        _check_entry(info, name, path)
        entries.append(ZipEntry(info, name, parts))
    return entries


@dataclass
class Archive:
    """An archive extracted into a private temporary folder (mode 0700), removed by :meth:`cleanup`.

    ``members`` maps each extracted file's path to its name inside the archive.
    """

    source: Path
    root: Path
    members: dict[Path, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Removed when forgotten too (garbage collection or interpreter exit).
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.root), True)

    def cleanup(self) -> None:
        self._finalizer()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def _copy_limited(src: IO[bytes], dst: Path, entry: ZipEntry, budget: int, archive: Path) -> int:
    """Copy one entry, never writing more than it declared nor than the remaining budget."""
    limit = min(entry.info.file_size, budget)
    written = 0
    with dst.open("xb") as out:
        while chunk := src.read(_CHUNK):
            written += len(chunk)
            if written > limit:
                raise IngestError(
                    f"{archive.name}: entry {entry.name!r} expands beyond its declared size or the "
                    f"archive limit of {MAX_TOTAL_BYTES} bytes",
                    hint="the archive is malformed or a zip bomb; it is refused",
                )
            out.write(chunk)
    return written


def extract_zip(path: Path) -> Archive:
    """Extract a checked archive into a new private temporary folder.

    Sizes are enforced while writing too, since an entry's declared size can lie.
    The caller owns the returned :class:`Archive` and must call ``cleanup()`` (or use ``with``).
    """
    entries = check_zip(path)
    archive = Archive(path, Path(tempfile.mkdtemp(prefix="liuyu-zip-")))
    budget = MAX_TOTAL_BYTES
    try:
        with zipfile.ZipFile(path) as zf:
            for entry in entries:
                target = archive.root.joinpath(*entry.parts)
                if entry.info.is_dir() or entry.name.endswith(("/", "\\")):
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(entry.info) as src:
                    budget -= _copy_limited(src, target, entry, budget, path)
                archive.members[target] = "/".join(entry.parts)
    except IngestError:
        archive.cleanup()
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        archive.cleanup()
        raise IngestError(
            f"{path.name}: the archive cannot be extracted ({exc})",
            hint="the file may be incomplete or use an unsupported compression; repack it as a plain zip",
        ) from exc
    return archive
