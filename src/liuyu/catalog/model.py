"""Category and code-list definitions, read from the TOML files beside this module."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from liuyu.errors import CategoryError

FieldType = Literal["string", "integer", "float", "boolean", "date", "datetime"]

#: JSON Schema of each field type, as OGC queryables and tileset metadata publish it.
JSON_SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "float": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}
GeometryType = Literal["Point", "MultiPoint", "MultiLineString", "MultiPolygon", "raster"]


class Field(BaseModel):
    """A standard field of a category, and the names agencies deliver it under."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: FieldType
    name_zh: str
    name_en: str
    required: bool = False
    unit: str | None = None
    codelist: str | None = None
    aliases: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _identifier(cls, v: str) -> str:
        if not v.isidentifier() or v != v.lower():
            raise ValueError(f"field name {v!r} must be a lower-case identifier")
        return v


class Category(BaseModel):
    """One kind of geodata the authority keeps; its code is the table and collection id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str
    name_en: str
    group: str
    geometry: GeometryType
    description_zh: str = ""
    description_en: str = ""
    key: str | None = None
    coverage: bool = False
    time_field: str | None = None
    fields: tuple[Field, ...] = ()

    @property
    def is_raster(self) -> bool:
        return self.geometry == "raster"

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise CategoryError(
            f"category {self.code!r} has no field {name!r}",
            hint=f"its fields are: {', '.join(self.field_names)}",
        )

    @model_validator(mode="after")
    def _check(self) -> Category:
        names = self.field_names
        if len(set(names)) != len(names):
            raise ValueError(f"category {self.code}: duplicate field names")
        for ref in (self.key, self.time_field):
            if ref is not None and ref not in names:
                raise ValueError(f"category {self.code}: {ref!r} is not one of its fields")
        return self


class CodeList(BaseModel):
    """A list of allowed codes (e.g. land-survey classes), with names and source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    name_zh: str
    name_en: str
    source: str
    values: dict[str, tuple[str, str]]  # code -> (name_zh, name_en)


def _read_dir(folder: str) -> list[tuple[str, dict]]:
    root = resources.files("liuyu.catalog").joinpath(folder)
    out = []
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            try:
                out.append((item.name, tomllib.loads(item.read_text(encoding="utf-8"))))
            except tomllib.TOMLDecodeError as exc:
                raise CategoryError(f"{folder}/{item.name} is not valid TOML: {exc}") from exc
    return out


@cache
def load_categories() -> dict[str, Category]:
    """All categories shipped with Liuyu, keyed by code."""
    cats: dict[str, Category] = {}
    for name, data in _read_dir("categories"):
        try:
            cat = Category.model_validate(data)
        except ValidationError as exc:
            raise CategoryError(f"categories/{name} is invalid:\n{exc}") from exc
        if name != f"{cat.code}.toml":
            raise CategoryError(f"categories/{name} declares code {cat.code!r}; name the file after it")
        cats[cat.code] = cat
    codelists = load_codelists()
    for cat in cats.values():
        for f in cat.fields:
            if f.codelist is not None and f.codelist not in codelists:
                raise CategoryError(
                    f"category {cat.code}: field {f.name} names unknown code list {f.codelist!r}"
                )
    return cats


@cache
def load_codelists() -> dict[str, CodeList]:
    """All code lists shipped with Liuyu, keyed by code."""
    out: dict[str, CodeList] = {}
    for name, data in _read_dir("codelists"):
        try:
            cl = CodeList.model_validate(data)
        except ValidationError as exc:
            raise CategoryError(f"codelists/{name} is invalid:\n{exc}") from exc
        out[cl.code] = cl
    return out


def get_category(code: str) -> Category:
    """The category with this code, or a CategoryError listing the known codes."""
    cats = load_categories()
    try:
        return cats[code]
    except KeyError:
        raise CategoryError(
            f"unknown category {code!r}",
            hint=f"use one of: {', '.join(sorted(cats))} (see `liuyu categories`)",
        ) from None
