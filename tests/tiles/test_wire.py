"""Protocol-buffer primitives against hand-computed encodings."""

from __future__ import annotations

import numpy as np

from liuyu.tiles.wire import interleave, length_delimited, segment_sums, utf8, varint_lengths, varints, zigzag


def test_varints_match_the_protobuf_examples():
    data, n = varints([1, 150, 300, 0, 2**32 - 1])
    assert data.tobytes() == b"\x01" + b"\x96\x01" + b"\xac\x02" + b"\x00" + b"\xff\xff\xff\xff\x0f"
    assert n.tolist() == [1, 2, 2, 1, 5]
    assert varint_lengths([127, 128, 2**63]).tolist() == [1, 2, 10]


def test_zigzag():
    assert zigzag([0, -1, 1, -2, 2, 2147483647, -2147483648]).tolist() == [
        0,
        1,
        2,
        3,
        4,
        4294967294,
        4294967295,
    ]


def test_interleave_handles_empty_items():
    out = interleave([(np.array([1, 2, 3]), [1, 1, 1]), (np.array([10, 11, 12]), [0, 3, 0])])
    assert out.tolist() == [1, 2, 10, 11, 12, 3]
    assert segment_sums([5, 1, 1, 1], [1, 0, 3]).tolist() == [5, 0, 3]


def test_length_delimited_fields():
    payload = np.frombuffer(b"abc" + b"x" * 200, dtype=np.uint8)
    out, size = length_delimited(0x1A, payload, [3, 200])
    assert out.tobytes() == b"\x1a\x03abc" + b"\x1a\xc8\x01" + b"x" * 200
    assert size.tolist() == [5, 203]


def test_utf8_chinese_and_nul_fallback():
    data, n = utf8(["密云", "", "a"])
    assert data.tobytes() == "密云a".encode() and n.tolist() == [6, 0, 1]
    data, n = utf8(["a\x00b", "c"])
    assert data.tobytes() == b"a\x00bc" and n.tolist() == [3, 1]
