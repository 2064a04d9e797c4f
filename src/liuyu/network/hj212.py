"""HJ 212-2017 online-monitoring messages → long observation frames, with the CRC checked."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

__all__ = ["DATA_COMMANDS", "FLAGS", "OBSERVATION_COLUMNS", "PROBLEM_COLUMNS", "crc16", "parse_messages"]

DATA_COMMANDS = {
    "2011": "real-time data (实时数据)",
    "2051": "minute data (分钟数据)",
    "2061": "hourly data (小时数据)",
    "2031": "daily data (日数据)",
}
"""The upload commands (CN) that carry observations; other commands are reported and skipped."""

FLAGS = {
    "N": "instrument working normally (在线监控（监测）仪器仪表工作正常)",
    "F": "instrument stopped (停运)",
    "M": "maintenance (维护)",
    "S": "manually entered set value (手工输入的设定值)",
    "D": "fault (故障)",
    "C": "calibration (校准)",
    "T": "above the measuring range (超测上限)",
    "B": "communication failure (通讯异常)",
}
"""Per-pollutant data flags of HJ 212-2017 (``w01018-Flag=N``); kept as delivered for QC."""

STATISTICS = ("Rtd", "Avg", "Min", "Max", "Cou")
OBSERVATION_COLUMNS = [
    "station_code",
    "property_code",
    "phenomenon_time",
    "raw",
    "unit",
    "source_row",
    "statistic",
    "flag",
    "pollutant",
    "mn",
    "cn",
]
PROBLEM_COLUMNS = ["source_row", "field", "value", "reason"]
_DATA_TIME = re.compile(r"\d{14}")


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes) -> int:
    """The CRC16 of HJ 212-2017 (Appendix A) over the data segment.

    The standard's routine starts from 0xFFFF and, per byte, sets ``reg = (reg >> 8) ^ byte``
    before eight right shifts with the reflected polynomial 0xA001. This is *not* CRC-16/MODBUS
    (which XORs the byte into the low byte of the whole register). Because ``reg`` is below
    0x100 after that step, the eight shifts are one lookup in the usual 0xA001 table.

    Verified against the standard's own example, as quoted at whycan.com/viewtopic.php?id=3594:
    ``##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;``
    ``CP=&&RtdInterval=30&&1C80``, and against a device message published on
    blog.csdn.net/qq_17486399/article/details/143863664 (CRC 9901).

    >>> segment = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    >>> f"{crc16(segment + b'Flag=5;CP=&&RtdInterval=30&&'):04X}"
    '1C80'
    """
    reg = 0xFFFF
    for byte in data:
        reg = _CRC_TABLE[(reg >> 8) ^ byte]
    return reg


@cache
def _codes() -> dict[str, dict[str, str]]:
    text = resources.files("liuyu.network").joinpath("hj212_codes.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["codes"]


class _Rejected(Exception):
    def __init__(self, reason: str, field: str | None = None, value: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.field, self.value = reason, field, value


@dataclass
class _Sink:
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, line: int, reason: str, field: str | None = None, value: str | None = None) -> None:
        self.problems.append({"source_row": line, "field": field, "value": value, "reason": reason})


def parse_messages(
    text: str, stations: Mapping[str, str], *, tz: str = "Asia/Shanghai"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse HJ 212-2017 messages (one per line) into observations and problems.

    Each message ``##`` + 4-digit length + data segment + 4-hex CRC16 is checked: a wrong
    length or CRC rejects the message (a problem naming its line). Data uploads
    (:data:`DATA_COMMANDS`) give one row per pollutant and statistic (Rtd, Avg, Min, Max,
    Cou); ``raw`` is the value as sent, parsed later like any other raw cell. ``DataTime``
    is local time in ``tz`` and returned in UTC, unshifted (for 2051/2061/2031 it is the
    time label the device sends for the interval). Text before ``##`` on a line (a logger's
    timestamp) is ignored.

    Every non-blank line ends up with observations or a message-level problem; an unknown
    pollutant code is a problem for that pollutant only.

    Parameters
    ----------
    text : str
        The file's text.
    stations : Mapping[str, str]
        Device code (MN) → station code; a message from an unknown MN is rejected.
    tz : str
        Time zone of DataTime.

    Returns
    -------
    (observations, problems) : tuple of DataFrame
        Columns :data:`OBSERVATION_COLUMNS` and :data:`PROBLEM_COLUMNS`.
    """
    sink = _Sink()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            _parse_line(line, line_no, stations, sink)
        except _Rejected as err:
            sink.problem(line_no, err.reason, err.field, err.value)
    obs = pd.DataFrame(sink.rows, columns=OBSERVATION_COLUMNS)
    local = pd.to_datetime(obs["phenomenon_time"], format="%Y%m%d%H%M%S", errors="coerce")
    obs["phenomenon_time"] = local.dt.tz_localize(tz, nonexistent="shift_forward").dt.tz_convert("UTC")
    obs["source_row"] = obs["source_row"].astype("int64")
    bad_time = obs.drop_duplicates("source_row").loc[lambda o: o["phenomenon_time"].isna()]
    for line in bad_time.itertuples():
        sink.problem(line.source_row, "DataTime is not a valid yyyyMMddHHmmss time", "DataTime")
    obs = obs[obs["phenomenon_time"].notna()].reset_index(drop=True)
    problems = pd.DataFrame(sink.problems, columns=PROBLEM_COLUMNS).astype({"source_row": "Int64"})
    return obs, problems.sort_values("source_row", kind="stable").reset_index(drop=True)


def _segment(line: str) -> str:
    """The checked data segment of one line, or _Rejected saying what is wrong with the frame."""
    start = line.find("##")
    if start < 0:
        raise _Rejected("no '##' packet header: not an HJ 212 message", value=line[:80])
    packet = line[start:].rstrip()
    length, body = packet[2:6], packet[6:]
    if not length.isdigit():
        raise _Rejected("the 4-digit data length after '##' is missing", "length", length)
    segment, crc = body[:-4], body[-4:]
    if len(segment.encode("utf-8")) != int(length):
        raise _Rejected(
            f"length field says {int(length)} characters, the data segment has {len(segment)}"
            " (truncated or joined message)",
            "length",
            length,
        )
    if not re.fullmatch(r"[0-9A-Fa-f]{4}", crc):
        raise _Rejected("no 4-hex-digit CRC at the end of the message", "crc", crc)
    computed = crc16(segment.encode("utf-8"))
    if computed != int(crc, 16):
        raise _Rejected(f"CRC mismatch: message says {crc}, data gives {computed:04X}", "crc", crc)
    return segment


def _parse_line(line: str, line_no: int, stations: Mapping[str, str], sink: _Sink) -> None:
    segment = _segment(line)
    head, sep, cp = segment.partition("CP=&&")
    if not sep or not cp.endswith("&&"):
        raise _Rejected("no 'CP=&&...&&' command parameters", "CP", segment[-40:])
    fields = dict(part.split("=", 1) for part in head.split(";") if "=" in part)
    cn, mn = fields.get("CN", ""), fields.get("MN", "")
    if cn not in DATA_COMMANDS:
        raise _Rejected(f"CN={cn} is not a data upload ({', '.join(DATA_COMMANDS)}); skipped", "CN", cn)
    if mn not in stations:
        raise _Rejected(f"device MN={mn} is not mapped to a station", "MN", mn)
    data_time, pollutants = _cp_items(cp[:-2])
    if not _DATA_TIME.fullmatch(data_time):
        raise _Rejected("DataTime missing or not yyyyMMddHHmmss", "DataTime", data_time)
    if not pollutants:
        raise _Rejected("data upload without pollutant values", "CP", cp[:80])
    base = {"station_code": stations[mn], "phenomenon_time": data_time, "source_row": line_no}
    for code, items in pollutants.items():
        known = _codes().get(code)
        if known is None:
            sink.problem(line_no, f"pollutant code {code} not in hj212_codes.toml; not ingested", code)
            continue
        for stat in STATISTICS:
            if stat in items:
                unit = known.get("cou_unit") if stat == "Cou" else known.get("unit")
                row = {"property_code": known["property"], "raw": items[stat], "unit": unit}
                extra = {"statistic": stat, "flag": items.get("Flag"), "pollutant": code, "mn": mn, "cn": cn}
                sink.rows.append(base | row | extra)


def _cp_items(cp: str) -> tuple[str, dict[str, dict[str, str]]]:
    """DataTime and ``{pollutant: {field: value}}`` from ``DataTime=...;w01018-Rtd=1,w01018-Flag=N``."""
    data_time = ""
    pollutants: dict[str, dict[str, str]] = {}
    for pair in re.split(r"[;,]", cp):
        key, sep, value = pair.partition("=")
        if not sep:
            continue
        if key == "DataTime":
            data_time = value
        elif "-" in key:
            code, item = key.split("-", 1)
            pollutants.setdefault(code, {})[item] = value
    return data_time, pollutants
