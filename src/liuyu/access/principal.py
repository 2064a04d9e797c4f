"""Who is acting: the principal every writing function takes, and the one rule of who may change what.

Accounts (:mod:`liuyu.access.accounts`) and the API's security dependency
(:mod:`liuyu.api.security`) produce a :class:`Principal`; the CLI acts as the local administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from liuyu.errors import LiuyuError

Role = Literal["admin", "editor", "viewer"]
ROLES: tuple[str, ...] = ("admin", "editor", "viewer")
#: The jurisdiction scope that covers the whole basin (both provinces).
BASIN = "basin"


class AccessDenied(LiuyuError, PermissionError):
    """The principal may not do this (a viewer writing, an editor outside their jurisdiction)."""


@dataclass(frozen=True)
class Principal:
    """A user acting on the workspace: name, role and jurisdiction scope (e.g. beijing, hebei, basin).

    Examples
    --------
    >>> Principal("wang", "editor", "hebei").may_write("beijing")
    False
    >>> Principal("li", "admin", "basin").may_write("hebei")
    True
    """

    user: str
    role: Role = "viewer"
    jurisdiction: str = BASIN

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise AccessDenied(f"unknown role {self.role!r}", hint=f"use one of {', '.join(ROLES)}")
        if not self.user or not self.user.strip():
            raise AccessDenied("a principal needs a user name", hint="give the user's name")

    @property
    def label(self) -> str:
        """How the audit log and the ledger's history record the principal: ``wang (editor@hebei)``."""
        return f"{self.user} ({self.role}@{self.jurisdiction})"

    def may_write(self, jurisdiction: str | None) -> bool:
        """Whether this principal may change something belonging to ``jurisdiction``.

        Admins change everything; editors what lies in their scope (a basin-wide editor:
        everything; a Hebei editor: Hebei's things only, not basin-wide ones); viewers nothing.
        """
        if self.role == "admin":
            return True
        if self.role != "editor":
            return False
        return self.jurisdiction == BASIN or (jurisdiction is not None and jurisdiction == self.jurisdiction)

    def require_write(self, jurisdiction: str | None, what: str) -> None:
        """Raise :class:`AccessDenied` unless :meth:`may_write` allows it; ``what`` names the object."""
        if self.may_write(jurisdiction):
            return
        if self.role == "viewer":
            raise AccessDenied(
                f"{self.user} is a viewer and cannot change {what} 查看者无修改权限",
                hint="ask an administrator for the editor role",
            )
        raise AccessDenied(
            f"{self.user} edits {self.jurisdiction} only; {what} belongs to {jurisdiction or BASIN} "
            "无权修改其他辖区的数据",
            hint=f"ask an editor of {jurisdiction or BASIN} or a basin-wide editor",
        )


#: Who acts when nobody says otherwise (the CLI on one's own workspace, the API before issue 8).
LOCAL_ADMIN = Principal("local", "admin", BASIN)
