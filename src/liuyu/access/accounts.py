"""Accounts in the workspace's store: users, API tokens and web sessions, every change audited.

Functions take the open store (GeoPackage or PostgreSQL; portable qmark SQL through
``store.conn``) and the label of who acts, which goes to the audit log with the change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from liuyu.access.principal import BASIN, ROLES, Principal
from liuyu.access.tables import SESSIONS, TOKENS, USERS, ensure_tables
from liuyu.errors import LiuyuError

TOKEN_PREFIX = "ly_"
#: scrypt cost: 16 MiB and ~50 ms per hash, so guessing offline is slow and a login stays quick.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_USER_COLUMNS = "name, role, jurisdiction, disabled, created_at, updated_at"


class AccountError(LiuyuError, ValueError):
    """An account operation that cannot be done (unknown user, bad role, name taken)."""


@dataclass(frozen=True)
class Session:
    """A web session as created at login: its id (the cookie) and CSRF token, shown once."""

    session_id: str
    csrf: str
    expires_at: str


def iso(when: dt.datetime) -> str:
    """Times as the account tables keep them: fixed-width ISO-8601 UTC, so text order is time order."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(secret: str) -> str:
    """SHA-256 of a token, session id or CSRF token: what the tables keep instead of the secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex); the parameters travel with the hash so they can be raised."""
    salt = secrets.token_bytes(16) if salt is None else salt
    key = hashlib.scrypt(password.encode(), salt=salt, maxmem=64 * 1024**2, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${key.hex()}"


def check_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored``; spends the same time when there is no stored hash."""
    if not stored:
        hash_password(password)  # as slow as a real check: no timing hint that the user is unknown
        return False
    _, n, r, p, salt, key = stored.split("$")
    got = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        maxmem=64 * 1024**2,
        dklen=32,
    )
    return hmac.compare_digest(got.hex(), key)


def _rows(cur: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def has_users(store: Any) -> bool:
    """Whether accounts are enforced: once any user exists the server stops acting as ``[access]``."""
    ensure_tables(store)
    return store.conn.execute(f"SELECT 1 FROM {USERS} LIMIT 1").fetchone() is not None


def get_user(store: Any, name: str) -> dict[str, Any] | None:
    ensure_tables(store)
    found = _rows(store.conn.execute(f"SELECT {_USER_COLUMNS} FROM {USERS} WHERE name = ?", (name,)))
    return found[0] if found else None


def list_users(store: Any) -> list[dict[str, Any]]:
    ensure_tables(store)
    return _rows(store.conn.execute(f"SELECT {_USER_COLUMNS} FROM {USERS} ORDER BY name"))


def _check(role: str, jurisdiction: str, known: list[str] | None) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} 未知角色", hint=f"use one of {', '.join(ROLES)}")
    if known is not None and jurisdiction != BASIN and jurisdiction not in known:
        raise AccountError(
            f"unknown jurisdiction {jurisdiction!r} 未知辖区",
            hint=f"use {BASIN} or one of [[jurisdictions]] in liuyu.toml: {', '.join(known)}",
        )


def add_user(
    store: Any,
    actor: str,
    name: str,
    role: str,
    jurisdiction: str = BASIN,
    password: str | None = None,
    *,
    known_jurisdictions: list[str] | None = None,
) -> dict[str, Any]:
    """Create a user (the password may come later with :func:`set_password`); audited."""
    name = name.strip()
    if not name or len(name) > 64 or any(c.isspace() for c in name):
        raise AccountError(f"unusable user name {name!r}", hint="a name without spaces, up to 64 characters")
    _check(role, jurisdiction, known_jurisdictions)
    ensure_tables(store)
    if get_user(store, name) is not None:
        raise AccountError(f"user {name!r} exists 用户已存在", hint="choose another name")
    at = iso(now())
    pw = None if password is None else hash_password(password)
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO {USERS} (name, role, jurisdiction, password, disabled, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, 0, ?, ?)",
            (name, role, jurisdiction, pw, at, at),
        )
        after = {"name": name, "role": role, "jurisdiction": jurisdiction, "password_set": pw is not None}
        store._audit(conn, actor, "user.add", f"user:{name}", after=after)
    return get_user(store, name) or {}


def set_password(store: Any, actor: str, name: str, password: str) -> None:
    if get_user(store, name) is None:
        raise AccountError(f"no user {name!r}", hint="list users with `liuyu user list`")
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE {USERS} SET password = ?, updated_at = ? WHERE name = ?",
            (hash_password(password), iso(now()), name),
        )
        store._audit(conn, actor, "user.password", f"user:{name}")


def revoke_user(store: Any, actor: str, name: str) -> dict[str, int]:
    """Disable the user and revoke every token and session of theirs; the counts revoked."""
    before = get_user(store, name)
    if before is None:
        raise AccountError(f"no user {name!r}", hint="list users with `liuyu user list`")
    at = iso(now())
    with store.transaction() as conn:
        conn.execute(f"UPDATE {USERS} SET disabled = 1, updated_at = ? WHERE name = ?", (at, name))
        counts = {
            table: conn.execute(
                f"UPDATE {table} SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", (at, name)
            ).rowcount
            for table in (TOKENS, SESSIONS)
        }
        store._audit(
            conn, actor, "user.revoke", f"user:{name}", before=before, after={"disabled": 1, **counts}
        )
    return {"tokens": counts[TOKENS], "sessions": counts[SESSIONS]}


def _principal(user: dict[str, Any] | None) -> Principal | None:
    if user is None or int(user["disabled"]):
        return None
    return Principal(user["name"], user["role"], user["jurisdiction"])


def login(store: Any, name: str, password: str) -> Principal | None:
    """The principal when ``name`` and ``password`` match an enabled user, else None."""
    ensure_tables(store)
    row = store.conn.execute(f"SELECT password FROM {USERS} WHERE name = ?", (name,)).fetchone()
    if not check_password(password, None if row is None else row[0]):
        return None
    return _principal(get_user(store, name))


# --- API tokens ---------------------------------------------------------------------------------
def create_token(
    store: Any, actor: str, name: str, days: float, label: str | None = None
) -> tuple[str, dict[str, Any]]:
    """A new token for ``name`` valid ``days`` days: the token (shown once) and its stored record."""
    if not 0 < days <= 3660:
        raise AccountError(f"a token lives 0 to 3660 days, not {days}", hint="give --days between 1 and 3660")
    user = get_user(store, name)
    if _principal(user) is None:
        raise AccountError(f"no enabled user {name!r}", hint="list users with `liuyu user list`")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = now()
    expires = iso(created + dt.timedelta(days=days))
    with store.transaction() as conn:
        tid = conn.execute(
            f"INSERT INTO {TOKENS} (user_name, token_hash, prefix, label, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (name, digest(token), token[:10], label, iso(created), expires),
        ).fetchone()[0]
        rec = {"id": int(tid), "user_name": name, "prefix": token[:10], "label": label, "expires_at": expires}
        store._audit(conn, actor, "token.create", f"token:{tid}", after=rec)
    return token, rec


def list_tokens(store: Any, user: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their secret): all, or one user's."""
    ensure_tables(store)
    sql = f"SELECT id, user_name, prefix, label, created_at, expires_at, revoked_at FROM {TOKENS}"
    cur = (
        store.conn.execute(sql + " ORDER BY id")
        if user is None
        else store.conn.execute(sql + " WHERE user_name = ? ORDER BY id", (user,))
    )
    return _rows(cur)


def revoke_token(store: Any, actor: Principal, token_id: int) -> dict[str, Any]:
    """Revoke a token: its owner or an admin may; to anyone else it does not exist (AccountError)."""
    found = [t for t in list_tokens(store) if int(t["id"]) == token_id]
    if not found or (actor.role != "admin" and found[0]["user_name"] != actor.user):
        raise AccountError(f"no token {token_id}", hint="list your tokens at /api/tokens")
    at = found[0]["revoked_at"] or iso(now())
    with store.transaction() as conn:
        conn.execute(f"UPDATE {TOKENS} SET revoked_at = ? WHERE id = ?", (at, token_id))
        store._audit(conn, actor.label, "token.revoke", f"token:{token_id}", before=found[0])
    return found[0] | {"revoked_at": at}


def _live_user(store: Any, table: str, key: str, value: str) -> tuple[Principal, dict[str, Any]] | None:
    cur = store.conn.execute(
        f"SELECT t.*, u.role, u.jurisdiction, u.disabled FROM {table} t "
        f"JOIN {USERS} u ON u.name = t.user_name WHERE t.{key} = ?",
        (value,),
    )
    rows = _rows(cur)
    if not rows:
        return None
    row = rows[0]
    if row["revoked_at"] is not None or row["expires_at"] <= iso(now()):
        return None
    p = _principal({"name": row["user_name"], **row})
    return None if p is None else (p, row)


def token_principal(store: Any, token: str) -> Principal | None:
    """Who a bearer token stands for; None when unknown, expired, revoked or its user disabled."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    ensure_tables(store)
    found = _live_user(store, TOKENS, "token_hash", digest(token))
    return None if found is None else found[0]


# --- web sessions -----------------------------------------------------------------------------
def create_session(store: Any, principal: Principal, hours: float) -> Session:
    sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    created = now()
    expires = iso(created + dt.timedelta(hours=hours))
    with store.transaction() as conn:
        conn.execute(
            f"INSERT INTO {SESSIONS} (id_hash, user_name, csrf_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (digest(sid), principal.user, digest(csrf), iso(created), expires),
        )
        store._audit(
            conn, principal.label, "session.login", f"user:{principal.user}", after={"expires_at": expires}
        )
    return Session(sid, csrf, expires)


def session_principal(store: Any, session_id: str) -> tuple[Principal, str] | None:
    """Who a session cookie stands for and the digest of its CSRF token; None when not live."""
    ensure_tables(store)
    found = _live_user(store, SESSIONS, "id_hash", digest(session_id))
    return None if found is None else (found[0], str(found[1]["csrf_hash"]))


def end_session(store: Any, session_id: str) -> bool:
    found = session_principal(store, session_id)
    if found is None:
        return False
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE {SESSIONS} SET revoked_at = ? WHERE id_hash = ?", (iso(now()), digest(session_id))
        )
        store._audit(conn, found[0].label, "session.logout", f"user:{found[0].user}")
    return True
