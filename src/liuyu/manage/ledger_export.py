"""The ledger as an XLSX workbook in the form agencies keep it (问题台账): title, grouped header, rows."""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from liuyu.manage.ledger import is_overdue, load_codes, load_machine

if TYPE_CHECKING:
    from liuyu.workspace import Workspace

#: (column name, width in characters, header group)
COLUMNS = (
    ("序号", 6, "问题情况"),
    ("问题编号", 14, "问题情况"),
    ("发现时间", 12, "问题情况"),
    ("来源", 10, "问题情况"),
    ("类别", 14, "问题情况"),
    ("位置", 30, "问题情况"),
    ("所属行政区", 14, "问题情况"),
    ("责任单位", 22, "整改落实"),
    ("整改时限", 12, "整改落实"),
    ("当前状态", 12, "整改落实"),
    ("整改情况", 36, "整改落实"),
    ("销号时间", 12, "整改落实"),
)
_THIN = Side(style="thin", color="888888")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = PatternFill("solid", fgColor="DDE7F0")
_LATE = PatternFill("solid", fgColor="FDE2E1")


def ledger_rows(
    problems: pd.DataFrame, county_names: dict[str, str], jurisdiction_names: dict[str, str]
) -> pd.DataFrame:
    """The ledger's table: one row per problem with the Chinese column names of :data:`COLUMNS`."""
    codes = load_codes()
    states = load_machine().states
    pts = shapely.point_on_surface(problems["geometry"].to_numpy())
    where = pd.Series(
        [f"{x:.5f}°E {y:.5f}°N" for x, y in zip(shapely.get_x(pts), shapely.get_y(pts), strict=True)],
        index=problems.index,
    )
    location = problems["location"].where(problems["location"].notna(), where)
    area = problems["county_code"].map(county_names)
    area = area.where(area.notna(), problems["jurisdiction"].map(jurisdiction_names)).fillna("全流域")
    return pd.DataFrame(
        {
            "序号": range(1, len(problems) + 1),
            "问题编号": problems["code"].to_numpy(),
            "发现时间": problems["found_at"].str[:10].to_numpy(),
            "来源": problems["source"].map(lambda c: codes["sources"][c].name_zh).to_numpy(),
            "类别": problems["category"].map(lambda c: codes["categories"][c].name_zh).to_numpy(),
            "位置": location.to_numpy(),
            "所属行政区": area.to_numpy(),
            "责任单位": problems["responsible_unit"].fillna("").to_numpy(),
            "整改时限": problems["deadline"].fillna("").to_numpy(),
            "当前状态": problems["state"].map(lambda s: states[s].name_zh).to_numpy(),
            "整改情况": problems["fix_note"].fillna("").to_numpy(),
            "销号时间": problems["closed_at"].fillna("").str[:10].to_numpy(),
        }
    )


def write_xlsx(rows: pd.DataFrame, title: str, late: list[bool] | None = None) -> bytes:
    """The workbook: a merged title row, a two-level header, borders, frozen header, widths."""
    wb = Workbook()
    ws = wb.active
    ws.title = "问题台账"
    n = len(COLUMNS)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.cell(1, 1, title).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 28
    groups: dict[str, list[int]] = {}
    for i, (name, width, group) in enumerate(COLUMNS, start=1):
        groups.setdefault(group, []).append(i)
        ws.column_dimensions[get_column_letter(i)].width = width
        ws.cell(3, i, name)
    for group, cols in groups.items():
        ws.merge_cells(start_row=2, start_column=cols[0], end_row=2, end_column=cols[-1])
        ws.cell(2, cols[0], group)
    for r in (2, 3):
        for i in range(1, n + 1):
            c = ws.cell(r, i)
            c.font, c.fill, c.border = Font(bold=True), _HEAD, _BOX
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, values in enumerate(rows.itertuples(index=False), start=4):
        for i, value in enumerate(values, start=1):
            c = ws.cell(r, i, value)
            if c.data_type == "f":  # text such as "=HYPERLINK(...)" from a complaint stays text
                c.data_type = "s"
            c.border = _BOX
            c.alignment = Alignment(vertical="top", wrap_text=True)
            if late and late[r - 4]:
                c.fill = _LATE
    ws.freeze_panes = "C4"
    ws.print_title_rows = "1:3"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_ledger(ws: Workspace, problems: pd.DataFrame, today: dt.date | None = None) -> bytes:
    """The XLSX of ``problems`` (overdue rows shaded) with county names from the counties layer."""
    today = today or dt.date.today()
    counties: dict[str, str] = {}
    if ws.store.current_version("counties") is not None:
        c = ws.read_layer("counties")
        counties = dict(zip(c["code"], c["name"], strict=True))
    jur = {j.code: j.name_zh for j in ws.config.jurisdictions}
    problems = problems.sort_values(["found_at", "code"]).reset_index(drop=True)
    rows = ledger_rows(problems, counties, jur)
    title = f"{ws.config.basin.name}问题台账（截至 {today.isoformat()}）"
    return write_xlsx(rows, title, list(is_overdue(problems, today)))
