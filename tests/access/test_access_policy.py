"""The policy's pure functions: sharing, decisions, the route table, ingest scope; password hashing."""

from __future__ import annotations

import pytest

from liuyu.access import AccessDenied, Principal
from liuyu.access.accounts import check_password, hash_password
from liuyu.access.policy import Rule, Sharing, decide, may_ingest, route_table, rule_for

HEBEI_VIEWER = Principal("v", "viewer", "hebei")
HEBEI_EDITOR = Principal("e", "editor", "hebei")
BASIN_EDITOR = Principal("b", "editor", "basin")
ADMIN = Principal("a", "admin", "hebei")
SHARE = Sharing.of(["rivers"], {"land_use": ["beijing"]})


def test_sharing() -> None:
    assert SHARE.visible(None, "rivers") and not SHARE.visible(None, "counties")
    assert SHARE.visible(HEBEI_VIEWER, "counties")  # not in `shared`: basin-wide
    assert not SHARE.visible(HEBEI_VIEWER, "land_use")
    assert SHARE.visible(Principal("x", "viewer", "beijing"), "land_use")
    assert SHARE.visible(BASIN_EDITOR, "land_use") and SHARE.visible(ADMIN, "land_use")


@pytest.mark.parametrize(
    ("who", "rule", "resource", "is_layer", "status"),
    [
        (None, None, None, False, 403),  # not in the table: refused to everyone
        (ADMIN, None, None, False, 403),
        (None, Rule("public"), None, False, 200),
        (None, Rule("list"), None, False, 200),
        (None, Rule("read", "rivers"), "rivers", True, 200),
        (None, Rule("read", "land_use"), "land_use", True, 404),
        (None, Rule("read", "ledger"), "ledger", False, 401),
        (None, Rule("account"), None, False, 401),
        (HEBEI_VIEWER, Rule("account"), None, False, 200),
        (HEBEI_VIEWER, Rule("read", "land_use"), "land_use", True, 404),
        (HEBEI_VIEWER, Rule("write", "ledger"), "ledger", False, 403),
        (HEBEI_EDITOR, Rule("write", "ledger"), "ledger", False, 200),
        (HEBEI_EDITOR, Rule("write", "land_use"), "land_use", True, 404),
        (HEBEI_EDITOR, Rule("write_basin", "analysis"), "analysis", False, 403),
        (BASIN_EDITOR, Rule("write_basin", "analysis"), "analysis", False, 200),
        (HEBEI_EDITOR, Rule("admin"), None, False, 403),
        (ADMIN, Rule("admin"), None, False, 200),
    ],
)
def test_decide(who, rule, resource, is_layer, status) -> None:
    assert decide(who, rule, resource, SHARE, is_layer=is_layer).status == status


def test_route_table() -> None:
    table = route_table()
    assert len(table) > 70 and all(r.action != "public" or r.resource is None for r in table.values())
    assert rule_for("HEAD", "/collections/{collectionId}/items") == Rule("read", "{collectionId}")
    assert Rule("read", "{collectionId}").resource_of({"collectionId": "rivers"}) == "rivers"
    assert rule_for("DELETE", "/collections") is None


def test_ingest_scope() -> None:
    assert may_ingest(ADMIN, "beijing") == ("beijing", None)
    assert may_ingest(BASIN_EDITOR, None) == (None, None)
    assert may_ingest(HEBEI_EDITOR, None) == ("hebei", "jurisdiction")
    assert may_ingest(HEBEI_EDITOR, "hebei") == ("hebei", "jurisdiction")
    with pytest.raises(AccessDenied):
        may_ingest(HEBEI_EDITOR, "beijing")
    with pytest.raises(AccessDenied):
        may_ingest(HEBEI_VIEWER, None)


def test_passwords_are_salted_scrypt() -> None:
    a, b = hash_password("same secret"), hash_password("same secret")
    assert a != b and a.startswith("scrypt$") and "same secret" not in a
    assert check_password("same secret", a) and not check_password("other", a)
    assert not check_password("anything", None)
