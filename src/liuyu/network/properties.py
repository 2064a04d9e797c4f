"""Observed properties as data (properties.toml): codes, names, canonical units, aliases."""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from functools import cache
from importlib import resources

import pandas as pd


@cache
def _raw() -> dict:
    text = resources.files("liuyu.network").joinpath("properties.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def load_properties() -> pd.DataFrame:
    """One row per observed property, in the column order of the store's table."""
    rows = [
        {
            "code": code,
            "name_zh": p["name_zh"],
            "name_en": p["name_en"],
            "unit": p.get("unit"),
            "definition": p.get("definition"),
            "aliases": json.dumps(p.get("aliases", []), ensure_ascii=False),
        }
        for code, p in _raw()["properties"].items()
    ]
    return pd.DataFrame(rows)


_BRACKETS = re.compile(r"[\s()\[\]{}（）【】〔〕<>《》]+")


def alias_key(text: object) -> str:
    """Matching key for names as agencies write them: NFKC, case-folded, spaces and brackets removed.

    >>> alias_key("高锰酸盐指数（CODMn）") == alias_key("高锰酸盐指数 codmn")
    True
    """
    return _BRACKETS.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


@cache
def _alias_index() -> dict[str, str | None]:
    """Alias key → property code; a key claimed by two properties maps to None (ambiguous)."""
    index: dict[str, str | None] = {}
    for code, spec in _raw()["properties"].items():
        names = [code, spec.get("name_zh"), spec.get("name_en"), *spec.get("aliases", [])]
        for key in {alias_key(n) for n in names if n}:
            index[key] = code if index.get(key, code) == code else None
    return index


def code_for_alias(name: str) -> str | None:
    """The property code a name or alias stands for (None if unknown or ambiguous).

    >>> code_for_alias("NH₃-N"), code_for_alias("备注")
    ('nh3n', None)
    """
    return _alias_index().get(alias_key(name))
