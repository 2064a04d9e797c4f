"""The problem ledger's pure core: the life cycle as data, which moves are allowed, overdue, statistics.

Nothing here touches the store: the shell (:mod:`liuyu.manage.ledger_ops`) reads problems as a
DataFrame, asks this module whether a move is allowed, and records it.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from liuyu.access import Principal
from liuyu.errors import LiuyuError


class LedgerError(LiuyuError, ValueError):
    """A move the life cycle does not allow, an unknown code, or a problem that does not exist."""


class NotInLedger(LedgerError, LookupError):
    """No problem (or photo) with that code in the ledger."""


class MoveNotAllowed(LedgerError):
    """The life cycle has no such step from the problem's current state (e.g. closing unverified)."""


@dataclass(frozen=True)
class State:
    code: str
    name_zh: str
    name_en: str
    clock: bool  # the deadline runs: past it, the problem is overdue
    open: bool


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    name_zh: str
    name_en: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Machine:
    """The states and allowed transitions of ``ledger_states.toml``."""

    initial: str
    states: dict[str, State]
    transitions: tuple[Transition, ...]

    def moves_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if t.source == state]

    def find(self, source: str, target: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == source and t.target == target), None)


@dataclass(frozen=True)
class Code:
    code: str
    name_zh: str
    name_en: str
    group: str | None = None


def _toml(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("liuyu.manage").joinpath(name).read_text(encoding="utf-8"))


@cache
def load_machine() -> Machine:
    """The life cycle shipped in ``liuyu/manage/ledger_states.toml`` (read once)."""
    data = _toml("ledger_states.toml")
    states = {s["code"]: State(**s) for s in data["states"]}
    transitions = tuple(
        Transition(t["from"], t["to"], t["name_zh"], t["name_en"], tuple(t["roles"]))
        for t in data["transitions"]
    )
    unknown = {x for t in transitions for x in (t.source, t.target)} - set(states)
    if unknown or data["initial"] not in states:
        raise LedgerError(f"ledger_states.toml names unknown states {sorted(unknown)}", hint="fix the file")
    return Machine(data["initial"], states, transitions)


@cache
def load_codes() -> dict[str, dict[str, Code]]:
    """The code lists of ``ledger_codes.toml``: ``{"sources": {...}, "categories": {...}}``."""
    data = _toml("ledger_codes.toml")
    return {key: {c["code"]: Code(**c) for c in data[key]} for key in ("sources", "categories")}


def check_code(kind: str, value: str) -> str:
    """``value`` if it is a code of the list ``kind`` (sources, categories); else a helpful error."""
    codes = load_codes()[kind]
    if value in codes:
        return value
    by_name = {c.name_zh: c.code for c in codes.values()} | {
        c.name_en.lower(): c.code for c in codes.values()
    }
    if value in by_name or value.lower() in by_name:
        return by_name.get(value) or by_name[value.lower()]
    listing = ", ".join(f"{c.code} ({c.name_zh})" for c in codes.values())
    raise LedgerError(
        f"unknown {kind[:-1] if kind != 'categories' else 'category'} {value!r}", hint=f"use {listing}"
    )


def check_move(machine: Machine, current: str, target: str, actor: Principal) -> Transition:
    """The transition from ``current`` to ``target`` if the life cycle and ``actor``'s role allow it.

    Examples
    --------
    >>> from liuyu.access import LOCAL_ADMIN
    >>> check_move(load_machine(), "fix_submitted", "verified", LOCAL_ADMIN).name_en
    'Verify'
    """
    if target not in machine.states:
        raise LedgerError(f"unknown state {target!r}", hint=f"use one of {', '.join(machine.states)}")
    move = machine.find(current, target)
    if move is None:
        nexts = ", ".join(t.target for t in machine.moves_from(current)) or "none"
        raise MoveNotAllowed(
            f"a problem that is {current} cannot go to {target} 不允许的状态变更 "
            f"({machine.states[current].name_zh} → {machine.states[target].name_zh})",
            hint=f"from {current} it can go to: {nexts} (every fix is verified before it is closed)",
        )
    if actor.role not in move.roles:
        from liuyu.access import AccessDenied

        raise AccessDenied(
            f"{actor.user} ({actor.role}) may not {move.name_en.lower()} a problem",
            hint=f"this needs one of the roles {', '.join(move.roles)}",
        )
    return move


def overdue(problems: pd.DataFrame, today: dt.date, machine: Machine | None = None) -> pd.DataFrame:
    """Problems past their deadline while the deadline still runs, most overdue first.

    A problem is overdue when its state has ``clock = true`` (found, assigned, being fixed,
    reopened) and ``today`` is after its ``deadline``; ``days_overdue`` says by how many days.
    """
    m = machine or load_machine()
    clock = [s.code for s in m.states.values() if s.clock]
    deadline = pd.to_datetime(problems["deadline"], errors="coerce")
    days = (pd.Timestamp(today) - deadline).dt.days
    late = problems["state"].isin(clock).to_numpy() & (days > 0).fillna(False).to_numpy()
    out = problems[late].assign(days_overdue=days[late].astype("int64"))
    return out.sort_values(["days_overdue", "code"], ascending=[False, True])


def is_overdue(problems: pd.DataFrame, today: dt.date) -> np.ndarray:
    """A boolean per problem: is it overdue on ``today`` (see :func:`overdue`)."""
    m = load_machine()
    clock = [s.code for s in m.states.values() if s.clock]
    days = (pd.Timestamp(today) - pd.to_datetime(problems["deadline"], errors="coerce")).dt.days
    return problems["state"].isin(clock).to_numpy() & (days > 0).fillna(False).to_numpy()


STAT_KEYS = ("category", "jurisdiction", "month", "source", "state")


def stats(problems: pd.DataFrame, by: str, today: dt.date) -> pd.DataFrame:
    """Counts per ``by`` (category, jurisdiction, month found, source, state).

    One row per value of ``by`` (sorted), columns ``total``, ``open`` (not yet verified),
    ``overdue`` and one column per state (``closed`` among them).
    """
    if by not in STAT_KEYS:
        raise LedgerError(f"cannot count by {by!r}", hint=f"use one of {', '.join(STAT_KEYS)}")
    m = load_machine()
    frame = problems.assign(
        month=pd.to_datetime(problems["found_at"], errors="coerce").dt.strftime("%Y-%m"),
        jurisdiction=problems["jurisdiction"].fillna("basin"),
        _open=problems["state"].map({s.code: s.open for s in m.states.values()}).fillna(False).astype(bool),
        _overdue=is_overdue(problems, today),
    )
    grouped = frame.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "total": grouped.size(),
            "open": grouped["_open"].sum(),
            "overdue": grouped["_overdue"].sum(),
        }
    )
    per_state = pd.crosstab(frame[by], frame["state"]).reindex(columns=list(m.states), fill_value=0)
    out = out.join(per_state).fillna(0).astype("int64")
    out.index.name = by
    return out.sort_index().reset_index()


def next_code(existing: pd.Series, year: int) -> str:
    """The next problem number of ``year``: ``WT2024-0007`` after the highest of that year."""
    prefix = f"WT{year}-"
    serial = existing[existing.str.startswith(prefix, na=False)].str[len(prefix) :]
    last = pd.to_numeric(serial, errors="coerce").max()
    return f"{prefix}{(0 if pd.isna(last) else int(last)) + 1:04d}"
