"""Photo uploads of the ledger: the type read from the bytes, the size limited, the name ours.

A client's file name and Content-Type are never trusted: the type comes from the file's magic
bytes (JPEG, PNG or WebP only), the stored name is ``photos/<problem>/<sha256>.<ext>`` and the
client's name is kept only as a label, stripped of any folder part.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from liuyu.errors import LiuyuError


class PhotoError(LiuyuError, ValueError):
    """A photo that is not a JPEG/PNG/WebP image, is empty, or is too large."""


class PhotoTooLarge(PhotoError):
    """A photo over the configured size limit."""


@dataclass(frozen=True)
class PhotoKind:
    media_type: str
    ext: str


JPEG = PhotoKind("image/jpeg", "jpg")
PNG = PhotoKind("image/png", "png")
WEBP = PhotoKind("image/webp", "webp")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def sniff(data: bytes) -> PhotoKind | None:
    """The image type from the first bytes (JPEG SOI, PNG signature, RIFF....WEBP), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return JPEG
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return PNG
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


def check_photo(data: bytes, max_bytes: int) -> PhotoKind:
    """The kind of an uploaded photo, or a :class:`PhotoError` saying what is wrong with it."""
    if not data:
        raise PhotoError("the photo is empty 照片为空", hint="choose the picture file again")
    if len(data) > max_bytes:
        raise PhotoTooLarge(
            f"the photo has {len(data):,} bytes; at most {max_bytes:,} are accepted 照片过大",
            hint="send a smaller picture, or raise [ledger] photo_max_bytes in liuyu.toml",
        )
    kind = sniff(data)
    if kind is None:
        raise PhotoError(
            "the file is not a JPEG, PNG or WebP picture 仅接受 JPEG、PNG、WebP 图片",
            hint="photos are checked by content, not by their name: convert the file to JPEG",
        )
    return kind


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def label(filename: str | None) -> str | None:
    """The client's file name as a harmless label: last path part, no control characters, 120 chars."""
    if not filename:
        return None
    name = _CONTROL.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip()
    return name[:120] or None
