"""CSV (and tab-separated text) with coordinate columns: encoding, delimiter and header detected."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from liuyu.errors import IngestError
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers.base import BaseReader, choose_layer
from liuyu.ingest.readers.encoding import decode_errors, detect_encoding, normalise_encoding
from liuyu.ingest.readers.table import table_delivery

__all__ = ["CSVReader"]

_DELIMITERS = (",", "\t", ";", "|", "，")


class CSVReader(BaseReader):
    """Delimited text (.csv, .txt, .tsv) with coordinate columns (see :mod:`.coords`).

    UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text") and GBK are recognised;
    the delimiter is the one that splits the first lines consistently. Values stay text, so
    codes keep their leading zeros; the pipeline coerces types. The CRS is never declared.
    """

    name = "csv"
    format = "csv"
    extensions = (".csv", ".tsv", ".txt")
    kinds = ("text",)
    description = "CSV with coordinate columns"

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        choose_layer(path, [path.stem], layer)
        data = path.read_bytes()
        text, used, note = _decode(path, data, encoding)
        delimiter = _delimiter(text)
        grid = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        notes = [note, f"{path.name}: delimiter {delimiter!r}"]
        numbers = range(1, len(grid) + 1)
        delivery = table_delivery(
            grid, numbers, source=path, fmt=self.format, layer=None, encoding=used, notes=notes
        )
        delivery.layer = path.stem
        return delivery


def _decode(path: Path, data: bytes, given: str | None) -> tuple[str, str, str]:
    """Text, the encoding used, and a sentence about it."""
    if given is None and data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16", f"{path.name}: text is UTF-16 (Excel 'Unicode text')"
    if given is None and data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8", f"{path.name}: text is UTF-8 (with BOM)"
    if given is not None:
        encoding = normalise_encoding(given)
        if decode_errors(data, encoding) > 0:
            guess = detect_encoding(data, what=path.name)
            better = guess.encoding.lower() if guess else "utf-8"
            raise IngestError(
                f"{path.name}: the text is not valid {encoding} (the encoding given)",
                hint=f"drop --encoding to let Liuyu detect it, or pass --encoding {better}",
            )
        return data.decode(encoding), encoding, f"{path.name}: text read as {encoding} (given)"
    guess = detect_encoding(data, what=path.name)
    if guess is None:
        return data.decode("ascii"), "UTF-8", f"{path.name}: text is plain ASCII"
    return data.decode(guess.encoding, errors="replace"), guess.encoding, guess.note


def _delimiter(text: str) -> str:
    """The delimiter splitting most of the first 20 non-blank lines into the same count."""
    lines = [line for line in text.splitlines()[:50] if line.strip()][:20]
    best, best_score = ",", -1
    for delimiter in _DELIMITERS:
        counts = [line.count(delimiter) for line in lines]
        mode, agree = Counter(counts).most_common(1)[0] if counts else (0, 0)
        score = agree * 1000 + mode if mode > 0 else -1
        if score > best_score:
            best, best_score = delimiter, score
    return best
