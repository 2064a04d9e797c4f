"""The fast path of a long observation CSV: pyarrow's multithreaded reader, then work per distinct cell.

A long table repeats its stations, properties, units, times and values: 10 M rows of an hourly
network have ~2,000 series, ~6,000 times and a few thousand distinct value strings. The CSV is
read with every column dictionary-encoded, each stage (stations, times, values, units) runs
once per dictionary entry with the same functions as the general path (:mod:`.sheets`,
:mod:`.ingest_prepare`), and rows only carry integer codes. Duplicates and QC run on one sort
by (series, time) over numpy arrays. Rows rejected by the parse stage (few) go through the
general :func:`~liuyu.network.sheets.long_table`, so their problems read exactly the same.

Used when the file is a delimited text whose header is its first line and names station,
property, value and one date/time column; anything else (titles above the header, separate
date and time columns, ragged rows, UTF-16, HJ 212) takes the general path.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from liuyu.errors import LiuyuError
from liuyu.ingest.readers.csv_ import _decode, _delimiter
from liuyu.network.ingest_prepare import REJECT_COLUMNS, Prepared, _norm
from liuyu.network.ingest_stages import Lines, prepare_codes
from liuyu.network.sheets import _flatten, _roles, _split, _text, long_table, match_property
from liuyu.network.times import blank, to_utc

__all__ = ["FastRead", "read_long_csv"]

_HEAD_BYTES = 1 << 16


@dataclass
class FastRead:
    """What the fast path made of a file: parsed row count, parse problems, the prepared rows."""

    n_parsed: int
    row_problems: pd.DataFrame
    prepared: Prepared


@dataclass
class Column:
    """One CSV column: each row's index into ``uniques`` (the distinct cells, '' → None)."""

    idx: np.ndarray
    uniques: pd.Series

    def take(self, values: np.ndarray) -> np.ndarray:
        return values[self.idx]


def _sniff(path: Path) -> tuple[str, str] | None:
    """(text of the first lines, pyarrow encoding) or None when the fast path does not apply."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        text, encoding = head.decode("utf-8"), "utf8"
    except UnicodeDecodeError as exc:
        if len(head) == _HEAD_BYTES and exc.start >= len(head) - 4:
            text, encoding = head[: exc.start].decode("utf-8"), "utf8"  # a character cut at the end
        else:
            text, name, _ = _decode(path, head, None)
            try:
                encoding = codecs.lookup(name).name
            except LookupError:
                return None
    if len(head) == _HEAD_BYTES:
        text = text[: text.rfind("\n") + 1]
    return text.lstrip("\ufeff"), encoding


def _header(text: str) -> tuple[list[str], dict[str, str], dict[str, str], str] | None:
    """Column names, header units, roles and delimiter, if the header is the first line."""
    from liuyu.network.ingest_read import _csv_frame, _header_and_body

    if not text.strip() or text.lstrip().startswith("##"):
        return None
    try:
        grid = _csv_frame(text)  # the fast path needs the header on line 1: 3 lines settle it
        frame, rows = _header_and_body(grid.iloc[:3])
    except LiuyuError:
        return None
    if frame.columns.nlevels != 1 or not len(rows) or rows[0] != 2:
        return None
    if grid.shape[1] != frame.shape[1]:
        return None
    names, units = _flatten(frame.columns)
    roles = _roles(names)
    if not {"property", "value"} <= set(roles) or ("date" in roles) == ("datetime" in roles):
        return None
    if not {"station_code", "station_name"} & set(roles):
        return None
    return names, units, roles, _delimiter(text)


def _read(path: Path, width: int, sep: str, encoding: str) -> pa.Table | None:
    names = [f"c{i}" for i in range(width)]
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=1, column_names=names, encoding=encoding, block_size=1 << 24
            ),
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.dictionary(pa.int32(), pa.string()) for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError, LookupError):
        return None  # ragged rows, blank lines, a bad byte: the general path reports them


def _column(chunked: pa.ChunkedArray) -> Column:
    chunks = [c for c in chunked.chunks if len(c)]
    if not chunks:
        return Column(np.zeros(0, dtype=np.int32), pd.Series([], dtype=object))
    idx = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks])
    uniques = pd.Series(chunks[0].dictionary.to_pylist(), dtype=object)
    return Column(idx, uniques.where(uniques != "", None))


def read_long_csv(
    path: Path,
    stations: Mapping[str, str],
    *,
    format: str = "auto",
    tz: str = "Asia/Shanghai",
    then: Callable[[], None] | None = None,
) -> FastRead | None:
    """Read and prepare a long CSV on the fast path; None when the file needs the general path.

    ``then`` is called once the file is read (the reader uses every core; work of the caller's
    own, such as the file's checksum, overlaps the single-threaded stages that follow)."""
    if format not in ("auto", "long") or path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    if not path.is_file():
        return None
    sniffed = _sniff(path)
    if sniffed is None:
        return None
    header = _header(sniffed[0])
    if header is None:
        return None
    names, header_units, roles, sep = header
    table = _read(path, len(names), sep, sniffed[1])
    if then is not None:
        then()
    if table is None or table.num_rows == 0:
        return None
    table = table.unify_dictionaries()
    cols = {name: _column(table.column(i)) for i, name in enumerate(names)}
    del table
    numbers = None  # row i is line i + 2 unless blank rows are dropped
    blanks = [blank(col.uniques).to_numpy(dtype=bool) for col in cols.values()]
    if all(b.any() for b in blanks):  # a row can only be blank if every column has a blank cell
        empty = np.ones(len(next(iter(cols.values())).idx), dtype=bool)
        for col, b in zip(cols.values(), blanks, strict=True):
            empty &= b[col.idx]
        if empty.any():
            keep = ~empty
            numbers = np.flatnonzero(keep) + 2
            for col in cols.values():
                col.idx = col.idx[keep]
    return _prepare(cols, Lines(numbers), names, header_units, roles, stations, tz)


def _prepare(
    cols: dict[str, Column],
    lines: Lines,
    names: list[str],
    header_units: dict[str, str],
    roles: dict[str, str],
    stations: Mapping[str, str],
    tz: str,
) -> FastRead:
    date = cols[roles.get("date", roles.get("datetime", ""))]
    times = to_utc(date.uniques, None, tz=tz)
    t_bad_u = times.isna().to_numpy()
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    t_sec_u = np.where(t_bad_u, 0, naive.astype("datetime64[s]").astype(np.int64)).astype(np.int64)
    code = cols.get(roles.get("station_code", ""))
    name = cols.get(roles.get("station_name", ""))
    code_text = _text(code.uniques) if code is not None else None
    name_text = _text(name.uniques) if name is not None else None
    n = len(date.idx)
    # per-row flags only where some distinct cell has the problem (None: no row has it)
    no_code = _flag(code, code_text.isna().to_numpy()) if code is not None and code_text is not None else True
    no_name = _flag(name, name_text.isna().to_numpy()) if name is not None and name_text is not None else True
    has_code = None if no_code is None else ~np.broadcast_to(no_code, (n,))  # None: every row has one
    prop = cols[roles["property"]]
    prop_text = _text(prop.uniques)
    matched = [match_property(t) if t is not None else (None, None) for t in prop_text]
    prop_code_u = np.array([m[0] for m in matched], dtype=object)
    bad = np.zeros(n, dtype=bool)
    for flags in (
        _flag(date, t_bad_u),
        None if no_code is None or no_name is None else no_code & no_name,
        _flag(prop, pd.isna(prop_code_u)),
    ):
        if flags is not None:
            bad |= flags
    problems = pd.DataFrame(columns=REJECT_COLUMNS)
    if bad.any():
        sub = pd.DataFrame(
            {nm: cols[nm].uniques.to_numpy()[cols[nm].idx[bad]] for nm in names}, columns=names
        )
        _, problems = long_table(sub, rows=list(lines(bad)), tz=tz)
        problems = problems[REJECT_COLUMNS]
    good = ~bad
    station_idx, station_codes, any_unknown = _stations(
        code, code_text, name, name_text, has_code, stations, n
    )
    unknown = good & (station_idx < 0) if any_unknown else np.zeros(n, dtype=bool)
    given = np.full(int(unknown.sum()), None, dtype=object)  # the cell named, for the reason
    if name is not None and name_text is not None:
        given = name_text.to_numpy(dtype=object)[name.idx[unknown]]
    if code is not None and code_text is not None:
        coded = np.ones(len(given), dtype=bool) if has_code is None else has_code[unknown]
        given = np.where(coded, code_text.to_numpy(dtype=object)[code.idx[unknown]], given)
    station_rejects = pd.DataFrame(
        {
            "source_row": lines(unknown),
            "field": "station_code",
            "value": given,
            "reason": "unknown station "
            + pd.Series(given, dtype=object).astype(str)
            + ": not a code, alias or name in the stations layer",
        },
        columns=REJECT_COLUMNS,
    )
    rows = good & ~unknown
    units = _row_units(cols, roles, header_units, matched, prop)
    value = cols[roles["value"]]
    prepared = prepare_codes(
        lines=lines,
        rows=None if rows.all() else rows,
        station_idx=station_idx,
        station_codes=station_codes,
        time_idx=date.idx,
        time_sec=t_sec_u,
        prop_idx=prop.idx,
        prop_codes=prop_code_u,
        unit_idx=units[0],
        unit_names=units[1],
        raw_idx=value.idx,
        raw_uniques=value.uniques,
        station_rejects=station_rejects,
    )
    return FastRead(int(good.sum()), problems.reset_index(drop=True), prepared)


def _stations(
    code: Column | None,
    code_text: pd.Series | None,
    name: Column | None,
    name_text: pd.Series | None,
    has_code: np.ndarray | None,
    index: Mapping[str, str],
    n: int,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each row's canonical station (index into the returned codes; -1: unknown), resolved once
    per distinct code or name cell: a code cell wins, a name is used where the code is blank.
    The flag says whether any row may be unknown (else the -1 check is skipped)."""
    resolved: list[list[str | None]] = []
    for text in (code_text, name_text):
        resolved.append(
            [] if text is None else [index.get(_norm(t)) if t is not None else None for t in text]
        )
    codes = np.array(sorted({c for part in resolved for c in part if c is not None}), dtype=object)
    at = {c: i for i, c in enumerate(codes)}

    def per_cell(part: list[str | None]) -> np.ndarray:
        return np.array([at[c] if c is not None else -1 for c in part], dtype=np.int32)

    def row_idx(col: Column | None, part: list[str | None]) -> np.ndarray:
        return np.full(n, -1, dtype=np.int32) if col is None else col.take(per_cell(part))

    if code is None:
        return row_idx(name, resolved[1]), codes, True
    by_code = row_idx(code, resolved[0])
    if has_code is None:  # every row gives a code: names are not needed
        return by_code, codes, bool((per_cell(resolved[0]) < 0).any())
    return np.where(has_code, by_code, row_idx(name, resolved[1])), codes, True


def _flag(col: Column, flags_u: np.ndarray) -> np.ndarray | None:
    """Each row's flag from its distinct cell's, or None when no distinct cell is flagged."""
    return col.take(flags_u) if flags_u.any() else None


def _row_units(
    cols: dict[str, Column],
    roles: dict[str, str],
    header_units: dict[str, str],
    matched: list[tuple[str | None, str | None]],
    prop: Column,
) -> tuple[np.ndarray | None, np.ndarray]:
    """Each row's unit as an index into a small vocabulary (-1: none; None: no row has a unit):
    unit column, else the one in the property's name, else the value header's (the general
    path's order)."""
    vocab: dict[str, int] = {}

    def ids(texts: list[str | None]) -> np.ndarray:
        return np.array([vocab.setdefault(t, len(vocab)) if t else -1 for t in texts], dtype=np.int32)

    default = header_units.get(roles["value"]) or _split(roles["value"])[1]
    default_id = ids([default])[0]
    by_prop = ids([u for _, u in matched])
    unit_ids = ids(list(_text(cols[roles["unit"]].uniques))) if "unit" in roles else None
    if default_id < 0 and (by_prop < 0).all() and (unit_ids is None or (unit_ids < 0).all()):
        return None, np.array(list(vocab), dtype=object)
    out = prop.take(np.where(by_prop >= 0, by_prop, default_id).astype(np.int32))
    if unit_ids is not None:
        col_ids = cols[roles["unit"]].take(unit_ids)
        out = np.where(col_ids >= 0, col_ids, out)
    return out, np.array(list(vocab), dtype=object)
