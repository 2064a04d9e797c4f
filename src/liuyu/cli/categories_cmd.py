"""`liuyu categories`: the categories of geodata Liuyu keeps, as a table."""

from __future__ import annotations

import typer
from rich.table import Table

from liuyu.catalog import load_categories
from liuyu.cli.options import console


def categories(
    code: str | None = typer.Argument(None, help="Show one category's fields and aliases 显示字段"),
) -> None:
    """List the data categories 数据类别 (codes are collection ids and table names)."""
    cats = load_categories()
    if code is not None:
        from liuyu.catalog import get_category

        cat = get_category(code)
        table = Table(title=f"{cat.code} {cat.name_zh} / {cat.name_en} ({cat.geometry})")
        for col in (
            "field 字段",
            "type 类型",
            "unit 单位",
            "required 必填",
            "code list 代码表",
            "aliases 别名",
        ):
            table.add_column(col)
        for f in cat.fields:
            table.add_row(
                f.name,
                f.type,
                f.unit or "",
                "✓" if f.required else "",
                f.codelist or "",
                ", ".join(f.aliases),
            )
        console.print(table)
        return
    table = Table(title="数据类别 Data categories")
    for col in ("code 代码", "名称", "name", "group 分组", "geometry 几何", "fields 字段数"):
        table.add_column(col)
    for cat in cats.values():
        table.add_row(cat.code, cat.name_zh, cat.name_en, cat.group, cat.geometry, str(len(cat.fields)))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("categories")(categories)
