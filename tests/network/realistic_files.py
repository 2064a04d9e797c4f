"""Real-world-shaped input files for the observation ingest, with the expected counts beside them.

``lab_sheet`` writes the kind of monthly lab report a Hebei monitoring centre sends: two title
rows, a two-level merged Chinese header (group over parameter), a units row, then samples whose
cells hold every oddity of issue 5 — ``<0.01``, ``ND``, ``未检出``, ``—``, ``/``, blanks,
full-width digits, thousands separators, Chinese dates — a Hebei station code (an alias of a
Beijing section), an unknown station, an unreadable value, a hard-range failure, and a notes
footer. ``hj212_log`` writes a data logger's capture of HJ 212-2017 messages: a timestamp before
each packet, hourly (2061) uploads from two automatic stations, a heartbeat that carries no data,
and one packet whose CRC was damaged in transit.

Station codes are the demo's (``liuyu demo``), so the files load into the demo as well as into
the small workspace of :func:`stations`. Expected counts are written by hand from the rows below,
not computed by the code under test.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import openpyxl
from openpyxl.utils import get_column_letter
from shapely.geometry import Point

from liuyu.network.hj212 import crc16

#: Beijing section 1101SZ001 is delivered by Hebei as 1307SZ901 (an alias in the demo's registry).
STATIONS = [
    ("1101SZ001", "白河入境（冀京界）", "water_quality", "1307SZ901", 116.60, 40.72),
    ("1101SZ002", "潮河入境（冀京界）", "water_quality", "1308SZ902", 117.15, 40.70),
    ("1101SZ012", "张家坟", "water_quality", None, 116.78, 40.62),
    ("110116NW001", "密云水库自动站", "water_quality", None, 116.90, 40.50),
    ("110118PK0001", "清水河自动站", "water_quality", None, 116.95, 40.55),
]


def stations() -> gpd.GeoDataFrame:
    """The demo's stations the files name (codes, names and the Hebei alias as in the demo)."""
    code, name, kind, aliases, lon, lat = zip(*STATIONS, strict=True)
    return gpd.GeoDataFrame(
        {"code": code, "name": name, "kind": kind, "aliases": aliases, "jurisdiction": "beijing"},
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs="EPSG:4490",
    )


GROUPS = [("样品信息", 4), ("常规指标", 4), ("营养盐", 3), ("重金属", 2), ("微生物", 1)]
HEADER = [
    "断面名称", "站码", "采样日期", "采样时间",
    "水温", "pH", "溶解氧", "高锰酸盐指数",
    "氨氮", "总磷", "总氮",
    "铅", "汞",
    "粪大肠菌群",
]  # fmt: skip
UNITS = ["", "", "", "", "℃", "无量纲", "mg/L", "mg/L", "mg/L", "mg/L", "mg/L", "μg/L", "mg/L", "个/L"]
SAMPLES = [
    # Hebei's code for 1101SZ001; "<1.0" μg/L lead, "ND" mercury, thousands separator
    ["白河入境", "1307SZ901", "2024年8月5日", "09:30",
     "24.5", "7.82", "8.1", "3.2", "0.12", "0.045", "1.23", "<1.0", "ND", "1,300"],
    # full-width digits, 未检出 with its limit, "—" and "/" (not measured), a blank
    ["潮河入境", "1308SZ902", "2024年8月5日", "10:15",
     "２３.８", "7.9", "７.６", "2.8", "未检出(0.025)", "0.031", "", "—", "/", "2,400"],
    ["张家坟", "1101SZ012", "2024年8月6日", "08:40",
     "22.1", "8.05", "8.6", "2.1", "0.05", "<0.01", "0.88", "1.5", "0.00004", "790"],
    # a station nobody knows: all 10 of its values are quarantined
    ["某某桥", "1307SZ999", "2024年8月6日", "11:00",
     "21.0", "7.7", "8.0", "2.5", "0.2", "0.05", "1.1", "2.0", "ND", "500"],
    # an unreadable TP ("见备注") and a pH outside 0–14 (hard range)
    ["张家坟", "1101SZ012", "2024年8月20日", "08:50",
     "23.0", "15.2", "8.4", "2.3", "0.06", "见备注", "0.91", "1.2", "ND", "1,100"],
]  # fmt: skip
FOOTER = [
    "注：“ND”“未检出”表示低于方法检出限，括号内为检出限；“—”“/”表示未监测。",
    "审核：王某　　批准：李某　　报告日期：2024年9月10日",
]

#: Counted by hand: 5 samples x 10 parameters = 50 cells, one blank (row 2 TN: not an observation,
#: the documented rule) = 49 rows, plus the 2 footer rows (unreadable dates: quarantined) = 51 in.
#: missing: "—", "/" = 2. unknown station: row 4's 10 cells. invalid value: 3 — "见备注" and the two
#: bare "ND" mercury cells (a non-detect needs its limit, e.g. 未检出(0.00004); the footer gives none).
#: hard range: pH 15.2. stored: 49 - 2 - 10 - 3 - 1 = 33, of them censored: <1.0, 未检出(0.025), <0.01.
LAB_EXPECTED = {
    "rows_in": 51,
    "stored": 33,
    "missing": 2,
    "quarantined": 16,
    "parse_rejected": 2,
    "unknown_station": 10,
    "invalid_value": 3,
    "rejected_range": 1,
}
LAB_CENSORED = 3


def lab_sheet(path: Path) -> Path:
    """Write the lab report workbook at ``path`` (merged title, merged group headers, units row)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "2024年8月"
    width = len(HEADER)
    last = get_column_letter(width)
    sheet.append(["密云水库上游河流水质监测结果表（2024年8月）"])
    sheet.merge_cells(f"A1:{last}1")
    sheet.append(["监测单位：承德市生态环境监测中心　　　　报告编号：CDHJ-2024-08-017"])
    sheet.merge_cells(f"A2:{last}2")
    top: list[str | None] = []
    for group, span in GROUPS:
        top += [group] + [None] * (span - 1)
    sheet.append(top)
    col = 1
    for _, span in GROUPS:  # the group name spans its parameters, as in the delivered sheets
        if span > 1:
            sheet.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + span - 1)
        col += span
    sheet.append(HEADER)
    sheet.append(UNITS)
    for row in SAMPLES:
        sheet.append(row)
    for note in FOOTER:
        sheet.append([note])
        sheet.merge_cells(f"A{sheet.max_row}:{last}{sheet.max_row}")
    book.save(path)
    return path


#: Device codes (MN) of the two automatic stations.
MN_MAP = {"88888880000001": "110116NW001", "88888880000002": "110118PK0001"}


def _packet(mn: str, cn: str, data_time: str, cp: str) -> str:
    segment = f"QN={data_time}123;ST=21;CN={cn};PW=123456;MN={mn};Flag=5;CP=&&{cp}&&"
    return f"##{len(segment):04d}{segment}{crc16(segment.encode()):04X}"


def _hourly(mn: str, hour: str, values: dict[str, tuple[str, str]]) -> str:
    data_time = f"20240805{hour}0000"
    cp = ";".join(f"{code}-Avg={value},{code}-Flag={flag}" for code, (value, flag) in values.items())
    return _packet(mn, "2061", data_time, f"DataTime={data_time};{cp}")


def hj212_log(path: Path) -> Path:
    """Write the logger capture at ``path``: 5 hourly packets (4 good, 1 damaged) and a heartbeat."""
    a, b = MN_MAP
    lines = [
        # hour 08: five pollutants at station A, one reported by the device as faulty (Flag=D)
        ("08:00:03", _hourly(a, "08", {
            "w01010": ("24.6", "N"), "w01001": ("7.85", "N"), "w01009": ("8.20", "N"),
            "w21003": ("0.118", "N"), "w21011": ("0.041", "D"),
        })),
        ("08:00:05", _hourly(b, "08", {"w01010": ("23.9", "N"), "w21003": ("0.210", "N")})),
        ("08:30:00", _packet(a, "9014", "20240805083000", "")),  # a heartbeat: no data
        ("09:00:02", _hourly(a, "09", {"w01010": ("24.9", "N"), "w21003": ("0.121", "N")})),
        ("09:00:04", "DAMAGED"),
        ("10:00:02", _hourly(a, "10", {"w01010": ("25.1", "N"), "w21003": ("0.125", "N")})),
    ]  # fmt: skip
    damaged = _hourly(b, "09", {"w01010": ("24.0", "N"), "w21003": ("0.205", "N")})
    damaged = damaged[:-4] + ("0000" if not damaged.endswith("0000") else "FFFF")
    text = "".join(
        f"2024-08-05 {clock} RECV {damaged if packet == 'DAMAGED' else packet}\r\n" for clock, packet in lines
    )
    path.write_text(text, encoding="ascii")
    return path


def mn_map_csv(path: Path) -> Path:
    path.write_text("mn,station_code\n" + "".join(f"{m},{s}\n" for m, s in MN_MAP.items()), encoding="utf-8")
    return path


#: 4 good hourly packets carry 5 + 2 + 2 + 2 = 11 values; the heartbeat (CN=9014, no data) and
#: the damaged packet are one quarantined line each: 13 rows in.
HJ212_EXPECTED = {"rows_in": 13, "stored": 11, "parse_rejected": 2, "quarantined": 2}
