"""A small workspace with accounts for the access tests: four users, their tokens, layers shared apart.

Sharing of the test workspace (written into its liuyu.toml):
``counties`` and ``basin`` are public; ``townships`` is shared with Beijing only; the dataset
``assessments`` with Beijing only; everything else basin-wide.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from conftest import township_frame
from ledger_data import ledger_workspace
from liuyu.access import accounts
from liuyu.workspace import Workspace

PASSWORD = "correct horse battery"
#: role label -> (user, role, jurisdiction); "anonymous" sends no credentials.
USERS = {
    "viewer@hebei": ("hv", "viewer", "hebei"),
    "editor@hebei": ("he", "editor", "hebei"),
    "editor@beijing": ("be", "editor", "beijing"),
    "admin@basin": ("ad", "admin", "basin"),
}
ROLES = ("anonymous", *USERS)
PUBLIC = ["basin", "counties"]
SHARED = {"townships": ["beijing"], "assessments": ["beijing"]}


def set_access(root: Path, **access: Any) -> None:
    """Merge ``access`` into the [access] table of the workspace's liuyu.toml."""
    path = root / "liuyu.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["access"] = {**data.get("access", {}), **access}
    path.write_text(tomli_w.dumps(data), encoding="utf-8")


def access_workspace(root: Path) -> dict[str, dict[str, str]]:
    """Build the workspace at ``root``; the request headers of every role (bearer tokens)."""
    ws: Workspace = ledger_workspace(root)
    try:
        ws.write_layer("townships", township_frame(8))
        headers: dict[str, dict[str, str]] = {"anonymous": {}}
        for label, (user, role, jur) in USERS.items():
            accounts.add_user(ws.store, "test", user, role, jur, PASSWORD)
            token, _ = accounts.create_token(ws.store, "test", user, 1)
            headers[label] = {"Authorization": f"Bearer {token}"}
    finally:
        ws.close()
    set_access(root, public=PUBLIC, shared=SHARED)
    return headers
