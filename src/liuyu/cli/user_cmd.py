"""`liuyu user add|list|revoke|token|password`: the accounts of a server 用户与令牌.

The first user turns accounts on: until then the API acts as ``[access]`` of liuyu.toml (local
mode); from then on every request is a login session, a token, or anonymous.
"""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.table import Table

from liuyu.access import BASIN, LOCAL_ADMIN, accounts
from liuyu.cli.options import WorkspaceOpt, console, workspace
from liuyu.errors import LiuyuError

user_app = typer.Typer(help="Users and API tokens 用户与令牌 (server accounts)", no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="User name 用户名")]
StdinOpt = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input (one line)")
]


def _password(stdin: bool, ask: bool) -> str | None:
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
    elif ask and sys.stdin.isatty():
        line = getpass.getpass("密码 Password: ")
        if line != getpass.getpass("再次输入 Again: "):
            raise LiuyuError("the passwords differ 两次输入不一致", hint="run the command again")
    else:
        return None
    if len(line) < 8:
        raise LiuyuError("a password needs at least 8 characters 密码至少8位", hint="choose a longer one")
    return line


def add(
    name: NameArg,
    role: Annotated[str, typer.Option("--role", "-r", help="admin, editor or viewer 角色")] = "viewer",
    jurisdiction: Annotated[
        str, typer.Option("--jurisdiction", "-j", help="beijing, hebei, ... or basin 辖区")
    ] = BASIN,
    password_stdin: StdinOpt = False,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No web login (API tokens only)")
    ] = False,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Add a user 新增用户 (asks for a password on a terminal; the first user turns accounts on)."""
    password = None if no_password else _password(password_stdin, ask=True)
    with workspace(ws_path) as ws:
        first = not accounts.has_users(ws.store)
        accounts.add_user(
            ws.store,
            LOCAL_ADMIN.label,
            name,
            role,
            jurisdiction,
            password,
            known_jurisdictions=ws.config.jurisdiction_codes(),
        )
    console.print(f"已新增用户 Added {name} ({role}@{jurisdiction})", highlight=False)
    if first:
        console.print("账户已启用 Accounts are now enforced by `liuyu serve`.", highlight=False)


def password(name: NameArg, password_stdin: StdinOpt = False, ws_path: WorkspaceOpt = None) -> None:
    """Set a user's password 设置密码."""
    pw = _password(password_stdin, ask=True)
    if pw is None:
        raise LiuyuError("no password given", hint="use --password-stdin, or run on a terminal")
    with workspace(ws_path) as ws:
        accounts.set_password(ws.store, LOCAL_ADMIN.label, name, pw)
    console.print(f"已设置密码 Password set for {name}", highlight=False)


def list_(ws_path: WorkspaceOpt = None) -> None:
    """List users 用户列表 with their role, jurisdiction, state and live tokens."""
    with workspace(ws_path) as ws:
        users = accounts.list_users(ws.store)
        tokens = accounts.list_tokens(ws.store)
    now = accounts.iso(accounts.now())
    live: dict[str, int] = {}
    for t in tokens:
        if t["revoked_at"] is None and t["expires_at"] > now:
            live[t["user_name"]] = live.get(t["user_name"], 0) + 1
    table = Table(title="用户 Users")
    for col in ("user", "role", "jurisdiction", "state", "live tokens", "created"):
        table.add_column(col)
    for u in users:
        state = "disabled 停用" if int(u["disabled"]) else "active 启用"
        table.add_row(
            u["name"], u["role"], u["jurisdiction"], state, str(live.get(u["name"], 0)), u["created_at"][:19]
        )
    console.print(table)
    if not users:
        console.print(
            "尚无用户 No users: the server runs in local mode ([access] of liuyu.toml).", markup=False
        )


def revoke(name: NameArg, ws_path: WorkspaceOpt = None) -> None:
    """Disable a user and revoke their tokens and sessions 停用用户."""
    with workspace(ws_path) as ws:
        counts = accounts.revoke_user(ws.store, LOCAL_ADMIN.label, name)
    console.print(
        f"已停用 Disabled {name}; revoked {counts['tokens']} tokens, {counts['sessions']} sessions",
        highlight=False,
    )


def token(
    name: NameArg,
    days: Annotated[float, typer.Option("--days", "-d", help="Days until it expires 有效天数")] = 30,
    label: Annotated[str | None, typer.Option("--label", help="What it is for 用途")] = None,
    ws_path: WorkspaceOpt = None,
) -> None:
    """Create an API token for a user and print it once 新建令牌 (send it as Authorization: Bearer)."""
    with workspace(ws_path) as ws:
        secret, rec = accounts.create_token(ws.store, LOCAL_ADMIN.label, name, days, label)
    err = typer.echo
    err(f"token {rec['id']} for {name}, expires {rec['expires_at']} (shown once 仅显示一次):", err=True)
    typer.echo(secret)


def register(app: typer.Typer) -> None:
    for cmd, fn in (
        ("add", add),
        ("list", list_),
        ("revoke", revoke),
        ("token", token),
        ("password", password),
    ):
        user_app.command(cmd)(fn)
    app.add_typer(user_app, name="user")
