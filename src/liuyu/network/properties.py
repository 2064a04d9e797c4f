"""Observed properties as data (properties.toml): codes, names, canonical units, aliases."""

from __future__ import annotations

import json
import tomllib
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
