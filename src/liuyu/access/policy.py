"""The one place that decides: may this principal take this route, and which layers may it see.

Pure functions over data: the route table (``routes.toml``: route → action and resource) and
the sharing of the workspace (``[access] public`` and ``[access.shared]`` in liuyu.toml). The
API's security dependency asks :func:`decide` for every request and :func:`visible` for every
layer it lists; nothing else in Liuyu makes these decisions.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

from liuyu.access.principal import BASIN, Principal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

ACTIONS = ("public", "list", "read", "write", "write_basin", "account", "admin")
#: Methods that change nothing: no CSRF token needed, and HEAD is decided as GET.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Rule:
    """A route's action and the resource it acts on (``{param}``: the layer named in the path)."""

    action: str
    resource: str | None = None

    def resource_of(self, path_params: Mapping[str, str]) -> str | None:
        if self.resource and self.resource.startswith("{"):
            return path_params.get(self.resource.strip("{}"))
        return self.resource


@dataclass(frozen=True)
class Sharing:
    """Who sees what: resources readable without login, and resources shared with some jurisdictions only.

    A resource missing from ``shared`` is shared basin-wide (every jurisdiction). Administrators
    and basin-wide users see everything.
    """

    public: frozenset[str] = frozenset()
    shared: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, public: Iterable[str], shared: Mapping[str, Iterable[str]]) -> Sharing:
        return cls(frozenset(public), {k: frozenset(v) for k, v in shared.items()})

    def visible(self, principal: Principal | None, resource: str) -> bool:
        """Whether ``principal`` (None: anonymous) may see ``resource``."""
        if resource in self.public:
            return True
        if principal is None:
            return False
        if principal.role == "admin" or principal.jurisdiction == BASIN:
            return True
        only = self.shared.get(resource)
        return only is None or principal.jurisdiction in only


@dataclass(frozen=True)
class Decision:
    """The answer for one request: 200 (go on), 401 (log in), 403 (not allowed) or 404 (as if absent)."""

    status: int
    message: str = ""
    hint: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200


ALLOW = Decision(200)


def _parse(value: str) -> Rule:
    action, _, resource = value.partition(" ")
    if action not in ACTIONS:
        raise ValueError(f"routes.toml: unknown action {action!r} in {value!r}")
    return Rule(action, resource.strip() or None)


@lru_cache(maxsize=1)
def route_table() -> dict[tuple[str, str], Rule]:
    """``(METHOD, path)`` → :class:`Rule`, from ``access/routes.toml``."""
    text = resources.files("liuyu.access").joinpath("routes.toml").read_text(encoding="utf-8")
    table: dict[tuple[str, str], Rule] = {}
    for key, value in tomllib.loads(text)["routes"].items():
        method, _, path = key.partition(" ")
        table[(method.upper(), path)] = _parse(value)
    return table


def rule_for(method: str, path: str) -> Rule | None:
    """The rule of a route (its declared path, parameters without convertors); None: not in the table."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return route_table().get((method, path))


def decide(
    principal: Principal | None, rule: Rule | None, resource: str | None, sharing: Sharing, *, is_layer: bool
) -> Decision:
    """May ``principal`` (None: anonymous) take a route with ``rule`` on ``resource``?

    Layers the caller may not see are answered 404, as if they did not exist; other resources
    401 to anonymous callers (log in) and 404 to logged-in ones.
    """
    if rule is None:
        return Decision(
            403, "this route is not in the access table 此接口未登记", "add it to access/routes.toml"
        )
    if rule.action in ("public", "list"):
        return ALLOW
    if principal is None and rule.action != "read":
        return Decision(401, "log in first 请先登录", "POST /api/login, or send Authorization: Bearer ly_...")
    if rule.action == "admin" and principal is not None and principal.role != "admin":
        return Decision(403, "administrators only 需要管理员权限", "ask an administrator")
    if rule.action == "write_basin" and principal is not None and not principal.may_write(BASIN):
        return Decision(
            403,
            f"{principal.user} cannot write basin-wide layers 仅全流域编辑可执行",
            "ask a basin-wide editor or an administrator",
        )
    if rule.action == "write" and principal is not None and principal.role == "viewer":
        return Decision(
            403,
            f"{principal.user} is a viewer and cannot write 查看者无修改权限",
            "ask an administrator for the editor role",
        )
    if resource is not None and not sharing.visible(principal, resource):
        if principal is None and not is_layer:
            return Decision(
                401, "log in first 请先登录", "POST /api/login, or send Authorization: Bearer ly_..."
            )
        return Decision(404, f"no {'collection' if is_layer else 'resource'} {resource!r} 不存在")
    return ALLOW


def may_ingest(principal: Principal, jurisdiction: str | None) -> tuple[str | None, str | None]:
    """The jurisdiction and scope an upload by ``principal`` is written with, or AccessDenied.

    Administrators and basin-wide editors ingest as they ask; an editor of one jurisdiction
    replaces only that jurisdiction's features (``scope="jurisdiction"``), whatever the form says.
    """
    if principal.role == "admin" or principal.jurisdiction == BASIN:
        return jurisdiction, None
    principal.require_write(jurisdiction or principal.jurisdiction, f"the features of {jurisdiction}")
    return principal.jurisdiction, "jurisdiction"
