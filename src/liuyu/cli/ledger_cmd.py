"""`liuyu ledger add|list|show|move|photo|overdue|stats|export`: the problem ledger (问题台账)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import pandas as pd
import shapely
import typer
from rich.table import Table

from liuyu.access import BASIN, Principal
from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import LiuyuError

ledger_app = typer.Typer(help="Problem ledger 问题台账: record, follow, verify, close", no_args_is_help=True)

UserOpt = Annotated[str, typer.Option("--user", "-u", help="Who acts 操作人 (recorded in the history)")]
RoleOpt = Annotated[str, typer.Option("--role", help="admin, editor or viewer 角色")]
JurOpt = Annotated[
    str, typer.Option("--as-jurisdiction", help="Acting jurisdiction scope: beijing, hebei, basin")
]
StateOpt = Annotated[str | None, typer.Option("--state", "-s", help="State 状态")]
CategoryOpt = Annotated[str | None, typer.Option("--category", "-c", help="Category 类别 (code or 中文名)")]
JurFilter = Annotated[str | None, typer.Option("--jurisdiction", "-j", help="Jurisdiction 辖区")]


def actor(user: str, role: str, jurisdiction: str) -> Principal:
    """The CLI acts as a local administrator unless told otherwise (issue 8 brings real accounts)."""
    return Principal(user, role, jurisdiction)  # type: ignore[arg-type]


def _names(kind: str) -> dict[str, str]:
    from liuyu.manage.ledger import load_codes, load_machine

    if kind == "states":
        return {s.code: s.name_zh for s in load_machine().states.values()}
    return {c.code: c.name_zh for c in load_codes()[kind].values()}


def add(
    title: Annotated[str, typer.Option("--title", "-t", help="What was found 问题")],
    source: Annotated[
        str, typer.Option("--source", help="inspection, enforcement, river_chief, complaint 来源")
    ],
    category: Annotated[str, typer.Option("--category", "-c", help="illegal_dumping, 乱堆, ... 类别")],
    lon: Annotated[float | None, typer.Option("--lon", help="Longitude 经度 (CGCS2000)")] = None,
    lat: Annotated[float | None, typer.Option("--lat", help="Latitude 纬度")] = None,
    wkt: Annotated[str | None, typer.Option("--wkt", help="Polygon (or point) as WKT, EPSG:4490")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Responsible unit 责任单位")] = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="YYYY-MM-DD 整改时限")] = None,
    found: Annotated[
        str | None, typer.Option("--found", help="When found, YYYY-MM-DD[THH:MM] 发现时间")
    ] = None,
    description: Annotated[str | None, typer.Option("--description", "-d", help="Details 描述")] = None,
    location: Annotated[str | None, typer.Option("--location", help="Place description 位置")] = None,
    jurisdiction: JurFilter = None,
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Record a problem 登记问题 (state: found 发现)."""
    from liuyu.manage.ledger import LedgerError
    from liuyu.manage.ledger_ops import NewProblem, add_problem

    if wkt:
        geom = shapely.from_wkt(wkt)
    elif lon is not None and lat is not None:
        geom = shapely.Point(lon, lat)
    else:
        raise LedgerError("a problem needs a location", hint="give --lon and --lat, or --wkt")
    new = NewProblem(
        title=title,
        source=source,
        category=category,
        geometry=geom,
        responsible_unit=unit,
        deadline=None if deadline is None else dt.date.fromisoformat(deadline),
        found_at=None if found is None else pd.Timestamp(found, tz="UTC").to_pydatetime(),
        description=description,
        location=location,
        jurisdiction=jurisdiction,
    )
    with workspace(ws_path) as ws:
        rec = add_problem(ws, actor(user, role, as_jurisdiction), new)
    console.print(f"已登记 Recorded {rec['code']} ({rec['jurisdiction'] or BASIN})", highlight=False)


def list_(
    state: StateOpt = None,
    category: CategoryOpt = None,
    jurisdiction: JurFilter = None,
    overdue_only: Annotated[bool, typer.Option("--overdue", help="Only overdue 仅超期")] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """List problems 问题列表, newest first."""
    from liuyu.manage.ledger import is_overdue
    from liuyu.manage.ledger_ops import problems

    with workspace(ws_path) as ws:
        rows = problems(ws, state=state, category=category, jurisdiction=jurisdiction)
    late = is_overdue(rows, dt.date.today())
    if overdue_only:
        rows, late = rows[late], late[late]
    _table(f"问题台账 Ledger: {len(rows)}", rows, late)


def _table(title: str, rows: pd.DataFrame, late: object) -> None:
    states, cats = _names("states"), _names("categories")
    table = Table(title=title)
    for col in (
        "编号 Code",
        "发现 Found",
        "类别 Category",
        "问题 Title",
        "辖区",
        "责任单位 Unit",
        "时限 Deadline",
        "状态 State",
    ):
        table.add_column(col)
    for r, o in zip(rows.itertuples(index=False), late, strict=True):  # type: ignore[call-overload]
        deadline = (r.deadline or "") + (" ⚠超期" if o else "")
        table.add_row(
            r.code, r.found_at[:10], cats[r.category], r.title, r.jurisdiction or BASIN,
            r.responsible_unit or "", deadline, states[r.state],
        )  # fmt: skip
    console.print(table)


def show(
    code: Annotated[str, typer.Argument(help="Problem code 问题编号")], ws_path: WorkspaceOpt = None
) -> None:
    """One problem with its history and photos 问题详情."""
    from liuyu.manage import ledger_ops

    with workspace(ws_path) as ws:
        rec = ledger_ops.problem(ws, code)
        hist = ledger_ops.history(ws, code)
        pics = ledger_ops.photos(ws, code)
    states = _names("states")
    for key in (
        "code",
        "title",
        "description",
        "source",
        "category",
        "jurisdiction",
        "county_code",
        "location",
    ):
        console.print(f"{key:>16}: {rec[key] or ''}", highlight=False)
    for key in ("responsible_unit", "found_at", "deadline", "fix_note", "closed_at"):
        console.print(f"{key:>16}: {rec[key] or ''}", highlight=False)
    console.print(f"{'state':>16}: {rec['state']} {states[rec['state']]}", highlight=False)
    console.print(f"{'geometry':>16}: {rec['geometry'].wkt[:100]}", highlight=False)
    table = Table(title="历史 History")
    for col in ("时间 At", "人 Who", "从 From", "到 To", "说明 Note"):
        table.add_column(col)
    for h in hist.itertuples(index=False):
        who = f"{h.user} ({h.role}@{h.jurisdiction})"
        table.add_row(
            h.at[:19], who, h.from_state or "", h.to_state, h.note if isinstance(h.note, str) else ""
        )
    console.print(table)
    for p in pics.itertuples(index=False):
        console.print(f"照片 photo #{p.id}: {p.path} ({p.media_type}, {p.size:,} B) {p.original_name or ''}")


def move(
    code: Annotated[str, typer.Argument(help="Problem code 问题编号")],
    to: Annotated[str, typer.Argument(help="New state 新状态 (assigned, being_fixed, fix_submitted, ...)")],
    note: Annotated[str | None, typer.Option("--note", "-n", help="What was done 办理情况")] = None,
    deadline: Annotated[
        str | None, typer.Option("--deadline", help="New deadline YYYY-MM-DD 整改时限")
    ] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="Responsible unit 责任单位")] = None,
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Move a problem to its next state 变更状态 (verification cannot be skipped)."""
    from liuyu.manage.ledger_ops import move as do_move

    day = None if deadline is None else dt.date.fromisoformat(deadline)
    with workspace(ws_path) as ws:
        rec = do_move(ws, actor(user, role, as_jurisdiction), code, to, note, deadline=day, unit=unit)
    console.print(f"{code}: {rec['state']} {_names('states')[rec['state']]}", highlight=False)


def photo(
    code: Annotated[str, typer.Argument(help="Problem code 问题编号")],
    file: Annotated[Path, typer.Argument(help="JPEG, PNG or WebP picture 照片", exists=True, dir_okay=False)],
    user: UserOpt = "local",
    role: RoleOpt = "admin",
    as_jurisdiction: JurOpt = BASIN,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Attach a photo to a problem 上传照片 (type checked from its content)."""
    from liuyu.manage.ledger_ops import add_photo

    with workspace(ws_path) as ws:
        row = add_photo(ws, actor(user, role, as_jurisdiction), code, file.read_bytes(), file.name)
    console.print(f"照片 photo #{row['id']}: {row['path']}", highlight=False)


def overdue(
    today: Annotated[str | None, typer.Option("--today", help="Judge as of YYYY-MM-DD")] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Problems past their deadline 超期问题, most overdue first."""
    from liuyu.manage.ledger import overdue as late
    from liuyu.manage.ledger_ops import problems

    day = dt.date.fromisoformat(today) if today else dt.date.today()
    with workspace(ws_path) as ws:
        rows = late(problems(ws), day)
    _table(f"超期问题 Overdue on {day}: {len(rows)}", rows, [True] * len(rows))


def stats(
    by: Annotated[
        str, typer.Option("--by", "-b", help="category, jurisdiction, month, source, state")
    ] = "category",
    ws_path: WorkspaceOpt = None,
) -> None:
    """Counts of problems 统计 by category, jurisdiction or month."""
    from liuyu.manage.ledger import stats as count
    from liuyu.manage.ledger_ops import problems

    with workspace(ws_path) as ws:
        table_df = count(problems(ws), by, dt.date.today())
    names = {**_names("categories"), **_names("sources"), **_names("states")}
    table = Table(title=f"问题统计 Ledger statistics by {by}")
    for col in table_df.columns:
        table.add_column(names.get(col, col))
    for row in table_df.itertuples(index=False):
        table.add_row(*(names.get(str(v), str(v)) for v in row))
    console.print(table)


def export(
    output: Annotated[Path, typer.Argument(help="The .xlsx file to write 输出文件")],
    state: StateOpt = None,
    category: CategoryOpt = None,
    jurisdiction: JurFilter = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Export the ledger as XLSX 导出台账 (title, grouped header, one row per problem)."""
    from liuyu.manage.ledger_export import export_ledger
    from liuyu.manage.ledger_ops import problems

    if output.suffix.lower() != ".xlsx":
        raise LiuyuError(f"{output} is not an .xlsx file name", hint="end the name with .xlsx")
    with workspace(ws_path) as ws:
        rows = problems(ws, state=state, category=category, jurisdiction=jurisdiction)
        output.write_bytes(export_ledger(ws, rows))
    console.print(f"已导出 Exported {len(rows)} problems to {output}", highlight=False)


def register(app: typer.Typer) -> None:
    for name, fn in (
        ("add", add), ("list", list_), ("show", show), ("move", move), ("photo", photo),
        ("overdue", overdue), ("stats", stats), ("export", export),
    ):  # fmt: skip
        ledger_app.command(name)(fn)
    app.add_typer(ledger_app, name="ledger")
