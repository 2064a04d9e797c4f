"""Text encodings of agency files: UTF-8 or GBK/GB18030 (Chinese Windows), told apart by their bytes."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from liuyu.errors import IngestError

__all__ = ["EncodingGuess", "decode_errors", "detect_encoding", "normalise_encoding"]

# GBK and CP936 are subsets of GB18030 for every character agencies use; reading with the
# superset never loses a character the subset has, and GDAL's iconv knows all three.
_CHINESE = {"gbk", "cp936", "gb2312", "gb18030", "ms936", "936", "euc_cn"}
_CODE_PAGES = {"65001": "UTF-8", "936": "GB18030", "1252": "CP1252", "950": "CP950", "54936": "GB18030"}


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a file's text, and the sentence the report shows about it."""

    encoding: str
    note: str


def normalise_encoding(name: str, *, where: str = "--encoding") -> str:
    """Map a user's or a .cpg's spelling onto a name both Python and GDAL (iconv) accept.

    >>> normalise_encoding("gbk"), normalise_encoding("936"), normalise_encoding("utf8")
    ('GB18030', 'GB18030', 'UTF-8')
    """
    text = name.strip().upper().removeprefix("ANSI").strip().removeprefix("CP").strip()
    if text in _CODE_PAGES:
        return _CODE_PAGES[text]
    if text.isdigit():
        text = f"CP{text}"
    try:
        python_name = codecs.lookup(text).name
    except LookupError as exc:
        raise IngestError(
            f"unknown text encoding {name!r} ({where})",
            hint="use e.g. utf-8 or gbk (Chinese Windows, also gb18030/cp936)",
        ) from exc
    if python_name.replace("-", "_") in _CHINESE:
        return "GB18030"
    return "UTF-8" if python_name == "utf-8" else python_name.upper()


def decode_errors(data: bytes, encoding: str) -> int:
    """How many undecodable sequences ``data`` holds in ``encoding`` (a cut at the end is fine)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(data, final=False)
    return text.count("\ufffd") - _count_true_replacements(data, encoding)


def _count_true_replacements(data: bytes, encoding: str) -> int:
    """U+FFFD genuinely present in the text (as its own bytes), not produced by an error."""
    marker = "\ufffd".encode(encoding, errors="ignore")
    return data.count(marker) if marker else 0


def detect_encoding(sample: bytes, *, what: str) -> EncodingGuess | None:
    """Guess UTF-8 vs GB18030 from a sample of a file's text bytes; None if it is plain ASCII.

    UTF-8 wins when the sample decodes without error (Chinese GBK text practically never
    does); otherwise GB18030 if it decodes cleanly; otherwise the one with fewer errors.

    Examples
    --------
    >>> detect_encoding("密云水库".encode("gbk"), what="test").encoding
    'GB18030'
    >>> detect_encoding("密云水库".encode("utf-8"), what="test").encoding
    'UTF-8'
    """
    if sample.isascii():
        return None
    utf8 = decode_errors(sample, "utf-8")
    if utf8 == 0:
        return EncodingGuess("UTF-8", f"{what}: text detected as UTF-8")
    gb = decode_errors(sample, "gb18030")
    if gb == 0:
        return EncodingGuess("GB18030", f"{what}: text detected as GBK/GB18030 (Chinese Windows)")
    best = "UTF-8" if utf8 <= gb else "GB18030"
    errors = min(utf8, gb)
    return EncodingGuess(
        best,
        f"{what}: text is neither clean UTF-8 nor GBK; read as {best} with {errors} undecodable "
        "sequence(s) — check names and values, or pass --encoding",
    )
