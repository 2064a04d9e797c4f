"""Protocol-buffer wire format for whole arrays at once: varints, zigzag, length-delimited fields.

A vector tile holds tens of thousands of small messages; encoding them one by one in Python
costs more than everything else in a tile together. These helpers encode every message of a
kind in a handful of numpy operations, so the encoder's cost grows with the bytes, not the
Python calls. Spec: https://protobuf.dev/programming-guides/encoding/
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

WIRE_VARINT = 0
WIRE_FIXED64 = 1
WIRE_LEN = 2


def field_key(field: int, wire: int) -> int:
    """The key varint that precedes a field: field number and wire type."""
    return (field << 3) | wire


def zigzag(values: npt.ArrayLike) -> U64:
    """Signed integers mapped to unsigned so that small magnitudes stay small (0, -1, 1, -2 ...)."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def varint_lengths(values: npt.ArrayLike) -> I64:
    """Bytes each value takes as a varint (1 to 10)."""
    v = np.asarray(values, dtype=np.uint64)
    n = np.ones(v.shape, dtype=np.int64)
    if v.size == 0:
        return n
    top = int(v.max())
    shift = 7
    while shift < 64 and (top >> shift):
        n += v >= np.uint64(1 << shift)
        shift += 7
    return n


def varints(values: npt.ArrayLike) -> tuple[U8, I64]:
    """All values as concatenated varints, and the byte length of each."""
    v = np.asarray(values, dtype=np.uint64)
    n = varint_lengths(v)
    out = np.empty(int(n.sum()), dtype=np.uint8)
    starts = np.cumsum(n) - n
    for k in range(int(n.max()) if n.size else 0):
        m = n > k
        byte = (v[m] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (n[m] > k + 1).astype(np.uint64) << np.uint64(7)
        out[starts[m] + k] = (byte | more).astype(np.uint8)
    return out, n


def segment_sums(values: npt.ArrayLike, counts: npt.ArrayLike) -> I64:
    """Sum of ``values`` over consecutive segments of the given lengths (empty segments sum to 0)."""
    c = np.asarray(counts, dtype=np.int64)
    cs = np.concatenate([[0], np.cumsum(np.asarray(values, dtype=np.int64))])
    ends = np.cumsum(c)
    return cs[ends] - cs[ends - c]


def interleave(parts: Sequence[tuple[np.ndarray, npt.ArrayLike]]) -> np.ndarray:
    """Item-major concatenation: item 0 of every part, then item 1 of every part, ...

    Each part is ``(flat values, count per item)``; all parts have the same number of items.
    This is how a run of messages is laid out (key, length, payload; key, length, payload ...)
    without a Python loop over the messages.

    Examples
    --------
    >>> interleave([(np.array([1, 2]), [1, 1]), (np.array([7, 8, 9]), [2, 1])]).tolist()
    [1, 7, 8, 2, 9]
    """
    counts = np.stack([np.asarray(c, dtype=np.int64) for _, c in parts])
    item_total = counts.sum(axis=0)
    item_start = np.cumsum(item_total) - item_total
    offset_in_item = np.cumsum(counts, axis=0) - counts
    out = np.empty(int(item_total.sum()), dtype=np.result_type(*[v.dtype for v, _ in parts]))
    for p, (vals, _) in enumerate(parts):
        cnt = counts[p]
        src_start = np.cumsum(cnt) - cnt
        k = np.arange(len(vals)) - np.repeat(src_start, cnt)
        out[np.repeat(item_start + offset_in_item[p], cnt) + k] = vals
    return out


def length_delimited(key: int, payload: U8, lengths: npt.ArrayLike) -> tuple[U8, I64]:
    """Every payload as a length-delimited field ``key, varint(len), bytes``; and each one's size."""
    lengths = np.asarray(lengths, dtype=np.int64)
    head_ints = interleave(
        [
            (np.full(len(lengths), key, dtype=np.uint64), np.ones(len(lengths))),
            (lengths.astype(np.uint64), np.ones(len(lengths))),
        ]
    )
    head, head_n = varints(head_ints)
    head_len = head_n[0::2] + head_n[1::2]
    out = interleave([(head, head_len), (payload, lengths)])
    return out.astype(np.uint8, copy=False), head_len + lengths


def utf8(strings: Sequence[str]) -> tuple[U8, I64]:
    """UTF-8 bytes of many strings concatenated, and each one's byte length.

    One ``join`` and one ``encode`` for the lot: the NUL separators locate the boundaries. A
    string that itself holds NUL (never in real attribute data) falls back to encoding each.
    """
    if len(strings) == 0:
        return np.empty(0, dtype=np.uint8), np.empty(0, dtype=np.int64)
    raw = np.frombuffer("\x00".join(strings).encode("utf-8"), dtype=np.uint8)
    seps = np.flatnonzero(raw == 0)
    if len(seps) != len(strings) - 1:
        parts = [s.encode("utf-8") for s in strings]
        lengths = np.array([len(p) for p in parts], dtype=np.int64)
        return np.frombuffer(b"".join(parts), dtype=np.uint8), lengths
    ends = np.append(seps, len(raw))
    starts = np.concatenate([[0], seps + 1])
    keep = np.ones(len(raw), dtype=bool)
    keep[seps] = False
    return raw[keep], (ends - starts).astype(np.int64)
