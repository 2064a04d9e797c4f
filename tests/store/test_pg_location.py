"""Store locations: PostgreSQL URLs with Liuyu's ``schema`` parameter, checked before anything is made.

Pure string handling: runs in every pass, no server needed.
"""

from __future__ import annotations

import pytest

from liuyu.config import StoreConfig
from liuyu.errors import StoreError
from liuyu.store import location as loc


def test_schema_is_liuyus_own_parameter():
    conninfo, schema = loc.split_location("postgres://u:p@h:5433/gis?sslmode=require&schema=miyun")
    assert conninfo == "postgresql://u:p@h:5433/gis?sslmode=require" and schema == "miyun"
    assert loc.split_location("postgresql://u@h/gis")[1] == "liuyu"
    again = loc.with_schema("postgresql://u@h/gis?schema=old&sslmode=disable", "new_one")
    assert loc.split_location(again) == ("postgresql://u@h/gis?sslmode=disable", "new_one")


def test_a_url_without_schema_gets_a_fresh_one(monkeypatch):
    monkeypatch.delenv(loc.SCHEMA_TAG_ENV, raising=False)
    made = {loc.split_location(loc.store_location("postgresql://u@h/gis"))[1] for _ in range(20)}
    assert len(made) == 20 and all(s.startswith("ws_") and len(s) == 11 for s in made)
    monkeypatch.setenv(loc.SCHEMA_TAG_ENV, "beef")
    assert loc.new_schema_name().startswith("ws_beef") and len(loc.new_schema_name()) == 11
    monkeypatch.setenv(loc.SCHEMA_TAG_ENV, "not hex")
    assert len(loc.new_schema_name()) == 11


def test_the_default_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(loc.STORE_ENV, raising=False)
    assert loc.store_location() == "liuyu.gpkg"
    monkeypatch.setenv(loc.STORE_ENV, "postgresql://u@h/gis?schema=basin")
    assert loc.store_location() == "postgresql://u@h/gis?schema=basin"
    assert loc.store_location("other.gpkg") == "other.gpkg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://u@h/?schema=x", "names no database"),
        ("postgresql://u@h/gis?schema=Bad-Name", "not a usable schema name"),
        ("postgresql://u@h/gis?schema=1abc", "not a usable schema name"),
        ("postgresql://u@h/gis?schema=" + "a" * 64, "not a usable schema name"),
    ],
)
def test_bad_urls_are_refused_with_a_hint(url, message):
    with pytest.raises(StoreError, match=message) as err:
        loc.split_location(url)
    assert err.value.hint
    with pytest.raises(ValueError, match=message):
        StoreConfig(location=url)


def test_passwords_never_reach_messages():
    assert loc.redact("postgresql://liuyu:s3cret@db/gis?schema=x") == "postgresql://liuyu:***@db/gis?schema=x"
    with pytest.raises(StoreError) as err:
        loc.split_location("postgresql://liuyu:s3cret@db/")
    assert "s3cret" not in str(err.value)


def test_db_info_names_the_backend_and_revision(workspace):
    """`liuyu db info` on whichever backend the pass uses; `db upgrade` is a no-op on a current store."""
    from typer.testing import CliRunner

    from liuyu.cli import app

    runner = CliRunner()
    info = runner.invoke(app, ["db", "info", "-w", str(workspace.root)], env={"COLUMNS": "200"})
    assert info.exit_code == 0, info.output
    if loc.is_server_location(workspace.config.store.location):
        assert "PostgreSQL" in info.output and "revision        0001" in info.output
        assert loc.split_location(workspace.config.store.location)[1] in info.output
    else:
        assert "GeoPackage" in info.output and "schema_version  1" in info.output
    again = runner.invoke(app, ["db", "upgrade", "-w", str(workspace.root)], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
