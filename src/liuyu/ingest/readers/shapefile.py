"""ESRI Shapefile: all its parts checked, the .dbf encoding honoured or detected, truncation found."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery, Problem
from liuyu.ingest.readers.base import BaseReader, choose_layer, read_ogr
from liuyu.ingest.readers.encoding import (
    EncodingGuess,
    decode_errors,
    detect_encoding,
    normalise_encoding,
)

__all__ = ["ShapefileReader"]

_SAMPLE = 4 * 1024**2  # bytes of .dbf records looked at to tell UTF-8 from GBK
_PARTS_HINT = "deliver every part of the shapefile together: .shp, .shx, .dbf, .prj (and .cpg), or zip them"


class ShapefileReader(BaseReader):
    """ESRI Shapefile (.shp + .shx + .dbf, optional .prj and .cpg), plain or zipped.

    Without a .cpg the .dbf text is detected as UTF-8 or GBK/GB18030 from its bytes, so
    Chinese field names and values come out right; ``encoding=`` overrides both.
    """

    name = "shapefile"
    format = "shapefile"
    extensions = (".shp",)
    kinds = ("shp",)
    description = "ESRI Shapefile"

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        choose_layer(path, [path.stem], layer)
        dbf, shx = _part(path, ".dbf", "attribute table"), _part(path, ".shx", "index")
        truncated, notes = _truncated_records(path, shx)
        declared_rows = _dbf_records(dbf, notes)
        guess = _choose_encoding(path, dbf, encoding)
        delivery = read_ogr(path, fmt=self.format, source=path, encoding=guess.encoding)
        delivery.encoding = guess.encoding
        delivery.notes = [guess.note, *notes, *delivery.notes]
        if not path.with_suffix(".prj").exists() and not path.with_suffix(".PRJ").exists():
            delivery.notes.append(f"{path.name}: no .prj file, so the coordinate system is not declared")
        if truncated.size and truncated.any():
            _drop_truncated(delivery, truncated)
        _missing_tail(delivery, max(truncated.size, declared_rows))
        return delivery


def _part(path: Path, suffix: str, what: str) -> Path:
    """A required sidecar, where GDAL looks for it (same stem, lower- or upper-case suffix)."""
    for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
        if candidate.is_file():
            return candidate
    others = [p.name for p in path.parent.iterdir() if p.name.lower() == path.stem.lower() + suffix]
    if others:
        raise IngestError(
            f"{path.name}: its {suffix} file is named {others[0]!r}, which GDAL does not find",
            hint=f"rename it to {path.stem}{suffix} (the same name as the .shp, with {suffix})",
        )
    raise IngestError(
        f"{path.name}: the {suffix} file ({what}) is missing; a shapefile cannot be read without it",
        hint=_PARTS_HINT,
    )


def _truncated_records(shp: Path, shx: Path) -> tuple[np.ndarray, list[str]]:
    """Which records' geometry lies (partly) beyond the end of the .shp, from the .shx index."""
    size = shp.stat().st_size
    if size < 100:
        raise IngestError(
            f"{shp.name}: {size} bytes, shorter than the 100-byte shapefile header: the file is truncated",
            hint="the copy or download was cut short; ask the agency to send the file again",
        )
    index = shx.read_bytes()
    expected = struct.unpack(">i", index[24:28])[0] * 2 if len(index) >= 28 else 100
    if len(index) < max(expected, 100):
        raise IngestError(
            f"{shx.name}: the .shx index is truncated ({len(index)} of {max(expected, 100)} bytes)",
            hint="ask the agency to send the shapefile again; " + _PARTS_HINT,
        )
    notes = []
    with shp.open("rb") as fh:
        declared = struct.unpack(">i", fh.read(100)[24:28])[0] * 2
    if declared != size:
        notes.append(
            f"{shp.name}: the header says {declared} bytes but the file has {size}: the file is "
            + ("truncated" if size < declared else "longer than declared")
        )
    usable = (len(index) - 100) // 8 * 8
    records = np.frombuffer(index[100 : 100 + usable], dtype=">i4").reshape(-1, 2).astype(np.int64)
    ends = records[:, 0] * 2 + 8 + records[:, 1] * 2
    return ends > size, notes


def _drop_truncated(delivery: Delivery, truncated: np.ndarray) -> None:
    """Move the features whose geometry was cut off from the frame into problems."""
    n = len(delivery.frame)
    mask = np.zeros(n, dtype=bool)
    mask[: min(n, truncated.size)] = truncated[:n]
    for row in delivery.rows[mask]:
        delivery.problems.append(
            Problem(
                "the .shp ends before this feature's geometry: the file is truncated "
                "(ask the agency to send it again)",
                row=int(row),
            )
        )
    delivery.frame = delivery.frame.loc[~mask].reset_index(drop=True)
    delivery.rows = delivery.rows[~mask]
    delivery.notes.append(
        f"{delivery.source.name}: {int(mask.sum())} feature(s) lost to truncation of the .shp"
    )


def _dbf_records(dbf: Path, notes: list[str]) -> int:
    """How many records the .dbf header declares; a cut-off header is an error, cut-off records a note."""
    size = dbf.stat().st_size
    with dbf.open("rb") as fh:
        head = fh.read(32)
    if len(head) < 32:
        raise IngestError(f"{dbf.name}: the .dbf is truncated ({len(head)} bytes)", hint=_PARTS_HINT)
    declared, header_len, record_len = struct.unpack("<IHH", head[4:12])
    if size < header_len:
        raise IngestError(
            f"{dbf.name}: the .dbf is truncated inside its header ({size} of {header_len} bytes)",
            hint="ask the agency to send the shapefile again; " + _PARTS_HINT,
        )
    available = (size - header_len) // max(record_len, 1)
    if available < declared:
        notes.append(f"{dbf.name}: declares {declared} records but holds {available}: the file is truncated")
    return int(declared)


def _missing_tail(delivery: Delivery, expected: int) -> None:
    """Features the .shx or .dbf declare but GDAL could not read (a cut-off file) become problems."""
    seen = delivery.n_source_rows
    if expected <= seen:
        return
    reason = "this feature is missing: the .shp/.dbf ends before it (the file is truncated; ask for it again)"
    delivery.problems.extend(Problem(reason, row=row) for row in range(seen + 1, expected + 1))
    delivery.n_source_rows = expected
    delivery.notes.append(f"{delivery.source.name}: {expected - seen} declared feature(s) could not be read")


def _dbf_text(dbf: Path) -> bytes:
    """Field names plus the first stretch of records holding non-ASCII text (up to 4 MB).

    Scanning on past ASCII-only blocks finds the Chinese values of a large table without
    reading it all into memory; cuts fall on record boundaries so no character is split.
    """
    with dbf.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise IngestError(f"{dbf.name}: the .dbf is truncated ({len(head)} bytes)", hint=_PARTS_HINT)
        header_len, record_len = struct.unpack("<HH", head[8:12])
        descriptors = fh.read(max(header_len - 32, 0))
        names = b" ".join(
            descriptors[i : i + 11].split(b"\x00", 1)[0]
            for i in range(0, len(descriptors) - 31, 32)
            if descriptors[i] != 0x0D
        )
        step = max(record_len, 1) * max(_SAMPLE // max(record_len, 1), 1)
        while block := fh.read(step):
            if not block.isascii():
                return names + b" " + block
    return names


def _choose_encoding(shp: Path, dbf: Path, given: str | None) -> EncodingGuess:
    """--encoding, else a .cpg that fits the bytes, else detection; ASCII-only is read as UTF-8."""
    sample = _dbf_text(dbf)
    detected = detect_encoding(sample, what=dbf.name)
    if given is not None:
        encoding = normalise_encoding(given)
        if decode_errors(sample, encoding) > 0:
            better = detected.encoding if detected else "UTF-8"
            raise IngestError(
                f"{dbf.name}: the attribute text is not valid {encoding} (the encoding you gave); "
                f"it looks like {better}",
                hint=f"drop --encoding to let Liuyu detect it, or pass --encoding {better.lower()}",
            )
        note = f"{dbf.name}: text read as {encoding} (given)"
        if detected and detected.encoding == "UTF-8" and encoding != "UTF-8":
            note += "; it is also valid UTF-8 — if names look garbled, drop --encoding"
        return EncodingGuess(encoding, note)
    cpg = _cpg(shp)
    if cpg is not None:
        try:
            declared: str | None = normalise_encoding(cpg, where=f"{shp.stem}.cpg")
        except IngestError:
            declared = None
        if declared and decode_errors(sample, declared) == 0:
            return EncodingGuess(declared, f"{dbf.name}: text read as {declared} (from the .cpg)")
        if detected:
            return EncodingGuess(
                detected.encoding, f"{dbf.name}: the .cpg says {cpg!r} but the text is not; {detected.note}"
            )
    return detected or EncodingGuess("UTF-8", f"{dbf.name}: text is plain ASCII")


def _cpg(shp: Path) -> str | None:
    for candidate in (shp.with_suffix(".cpg"), shp.with_suffix(".CPG")):
        if candidate.is_file():
            text = candidate.read_bytes()[:64].decode("ascii", errors="ignore").strip()
            return text or None
    return None
