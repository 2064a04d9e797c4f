"""Mapbox Vector Tile encoding of one layer: features, keys, values, all messages built as arrays.

Spec: Mapbox Vector Tile 2.1 (vector_tile.proto). Written here rather than through the
``mapbox-vector-tile`` package because that one builds every feature as Python objects, which
alone takes longer than the tile budget for a few thousand parcels. The tests decode our tiles
with ``mapbox-vector-tile`` to hold this encoder to the spec.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from liuyu.tiles.commands import Commands
from liuyu.tiles.wire import (
    I64,
    U8,
    WIRE_FIXED64,
    WIRE_LEN,
    WIRE_VARINT,
    field_key,
    interleave,
    length_delimited,
    segment_sums,
    utf8,
    varint_lengths,
    varints,
    zigzag,
)

EXTENT = 4096
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
# field keys of vector_tile.proto
_TILE_LAYER = field_key(3, WIRE_LEN)
_LAYER_NAME, _LAYER_FEATURE = field_key(1, WIRE_LEN), field_key(2, WIRE_LEN)
_LAYER_KEY, _LAYER_VALUE = field_key(3, WIRE_LEN), field_key(4, WIRE_LEN)
_LAYER_EXTENT, _LAYER_VERSION = field_key(5, WIRE_VARINT), field_key(15, WIRE_VARINT)
_FEATURE_TAGS, _FEATURE_TYPE = field_key(2, WIRE_LEN), field_key(3, WIRE_VARINT)
_FEATURE_GEOMETRY = field_key(4, WIRE_LEN)
_VALUE_STRING, _VALUE_DOUBLE = field_key(1, WIRE_LEN), field_key(3, WIRE_FIXED64)
_VALUE_UINT, _VALUE_SINT, _VALUE_BOOL = field_key(5, WIRE_VARINT), field_key(6, WIRE_VARINT), field_key(7, 0)


def encode_layer(
    name: str, geometry_type: int, commands: Commands, columns: Sequence[tuple[str, pd.Series]]
) -> bytes:
    """One MVT tile holding one layer, or ``b""`` when no feature is left.

    Parameters
    ----------
    name : str
        The layer name (Liuyu uses the collection id).
    geometry_type : int
        MVT GeomType of every feature: 1 point, 2 line, 3 polygon.
    commands : Commands
        The encoded geometries (see :func:`liuyu.tiles.commands.encode_geometries`); its
        ``feature`` indices select the rows of ``columns`` that are written.
    columns : sequence of (name, pandas.Series)
        Feature properties, aligned with the features given to ``encode_geometries``.
        Missing values are left out of a feature, as MVT has no null.
    """
    if len(commands.feature) == 0:
        return b""
    codes, value_bytes, value_lens = _value_table([series.iloc[commands.feature] for _, series in columns])
    features = _features(geometry_type, commands, codes)
    keys = length_delimited(_LAYER_KEY, *utf8([n for n, _ in columns]))[0]
    values = length_delimited(_LAYER_VALUE, value_bytes, value_lens)[0]
    head = bytes([_LAYER_VERSION, 2]) + _ld(_LAYER_NAME, name.encode("utf-8"))
    tail = bytes([_LAYER_EXTENT]) + _varint(EXTENT)
    layer = b"".join([head, features.tobytes(), keys.tobytes(), values.tobytes(), tail])
    return _ld(_TILE_LAYER, layer)


def _varint(value: int) -> bytes:
    return varints([value])[0].tobytes()


def _ld(key: int, payload: bytes) -> bytes:
    return bytes([key]) + _varint(len(payload)) + payload


def _features(geometry_type: int, commands: Commands, codes: list[I64]) -> U8:
    """Every Feature message, each as a length-delimited ``features`` field of the layer."""
    n = len(commands.feature)
    tag_ints, tag_counts = _tags(codes, n)
    tag_len = segment_sums(varint_lengths(tag_ints), tag_counts)
    geom_len = segment_sums(varint_lengths(commands.ints), commands.counts)
    feat_len = 1 + varint_lengths(tag_len) + tag_len + 2 + 1 + varint_lengths(geom_len) + geom_len
    ones4 = np.full(n, 4)
    head = np.column_stack([np.full(n, _LAYER_FEATURE), feat_len, np.full(n, _FEATURE_TAGS), tag_len])
    mid = np.column_stack(
        [np.full(n, _FEATURE_TYPE), np.full(n, geometry_type), np.full(n, _FEATURE_GEOMETRY), geom_len]
    )
    stream = interleave(
        [
            (head.astype(np.uint64).ravel(), ones4),
            (tag_ints, tag_counts),
            (mid.astype(np.uint64).ravel(), ones4),
            (commands.ints, commands.counts),
        ]
    )
    return varints(stream)[0]


def _tags(codes: list[I64], n: int) -> tuple[np.ndarray, I64]:
    """(key index, value index) pairs of every feature's present properties, feature by feature."""
    feat, key, val = [], [], []
    for k, c in enumerate(codes):
        present = np.flatnonzero(c >= 0)
        feat.append(present)
        key.append(np.full(len(present), k, dtype=np.int64))
        val.append(c[present])
    if not feat:
        return np.empty(0, np.uint64), np.zeros(n, np.int64)
    f = np.concatenate(feat)
    order = np.argsort(f, kind="stable")
    pairs = np.column_stack([np.concatenate(key)[order], np.concatenate(val)[order]])
    return pairs.astype(np.uint64).ravel(), 2 * np.bincount(f, minlength=n).astype(np.int64)


def _value_table(columns: Sequence[pd.Series]) -> tuple[list[I64], U8, I64]:
    """The layer's Value messages, and each column's value indices (-1 where missing).

    Strings are shared across columns: ``id`` repeats the key field (``parcel_id`` ...), and
    storing each such value once takes a sixth off a parcel tile.
    """
    factorized = [pd.factorize(s, use_na_sentinel=True) for s in columns]
    is_text = [s.dtype == object or isinstance(s.dtype, pd.StringDtype) for s in columns]
    texts = [str(u) for (_, uniq), t in zip(factorized, is_text, strict=True) if t for u in uniq]
    text_codes, text_uniques = pd.factorize(np.asarray(texts, dtype=object))
    blocks = [length_delimited(_VALUE_STRING, *utf8(list(text_uniques)))]
    offset, text_at, codes = len(text_uniques), 0, []
    for (c, uniq), t, s in zip(factorized, is_text, columns, strict=True):
        c = np.asarray(c, dtype=np.int64)
        if t:
            mapping = np.asarray(text_codes[text_at : text_at + len(uniq)], dtype=np.int64)
            text_at += len(uniq)
            codes.append(np.where(c >= 0, mapping[np.maximum(c, 0)] if len(uniq) else c, -1))
            continue
        blocks.append(_scalar_values(uniq, s.dtype))
        codes.append(np.where(c >= 0, c + offset, -1))
        offset += len(uniq)
    data = np.concatenate([b[0] for b in blocks]).astype(np.uint8, copy=False)
    return codes, data, np.concatenate([b[1] for b in blocks])


def _scalar_values(uniques: object, dtype: object) -> tuple[U8, I64]:
    """Value messages for the distinct values of a numeric or boolean column."""
    if isinstance(dtype, pd.BooleanDtype) or getattr(dtype, "kind", "") == "b":
        return _bool_values(np.asarray(uniques, dtype=bool))
    if getattr(dtype, "kind", "") in "iu":
        return _int_values(np.asarray(uniques, dtype=np.int64))
    return _double_values(np.asarray(uniques, dtype=np.float64))


def _double_values(v: np.ndarray) -> tuple[U8, I64]:
    msg = np.empty((len(v), 9), dtype=np.uint8)
    msg[:, 0] = _VALUE_DOUBLE
    msg[:, 1:] = v.astype("<f8").view(np.uint8).reshape(-1, 8)
    return msg.ravel(), np.full(len(v), 9, dtype=np.int64)


def _int_values(v: np.ndarray) -> tuple[U8, I64]:
    """Non-negative integers as uint_value, negative ones as sint_value (zigzag)."""
    neg = v < 0
    keys = np.where(neg, _VALUE_SINT, _VALUE_UINT).astype(np.uint64)
    payload = np.where(neg, zigzag(v), v.astype(np.uint64)).astype(np.uint64)
    raw, n = varints(interleave([(keys, np.ones(len(v))), (payload, np.ones(len(v)))]))
    return raw, n[0::2] + n[1::2]


def _bool_values(v: np.ndarray) -> tuple[U8, I64]:
    msg = np.empty((len(v), 2), dtype=np.uint8)
    msg[:, 0] = _VALUE_BOOL
    msg[:, 1] = v
    return msg.ravel(), np.full(len(v), 2, dtype=np.int64)
