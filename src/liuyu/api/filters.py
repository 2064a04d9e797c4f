"""Filters from simple query parameters: ``datetime`` and ``property=value`` equality on queryables.

Values are typed by the category's field types, so ``survey_year=2020`` compares an integer and
``established=2019-05-01`` a date, exactly as the store keeps them.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from liuyu.api.params import ParameterError, datetime_param, require_time_field, time_value
from liuyu.catalog import Category
from liuyu.store.query import Compare, Expr, In, Scalar, all_of

INT64 = 2**63 - 1  # what SQL integers hold
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def queryable_types(category: Category) -> dict[str, str]:
    """Property name -> field type, for every property a filter may name (fields + jurisdiction)."""
    return {**{f.name: f.type for f in category.fields}, "jurisdiction": "string"}


def coerce_text(value: str, ftype: str, name: str) -> Scalar:
    """A query-string value converted to a field's type; a 400 naming ``name`` if it does not fit."""
    text = value.strip()
    try:
        if ftype == "integer":
            whole = int(text)
            if abs(whole) > INT64:
                raise ValueError(text)
            return whole
        if ftype == "float":
            number = float(text)
            if not math.isfinite(number):
                raise ValueError(text)
            return number
        if ftype == "boolean":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise ValueError(text)
        if ftype == "date":
            return dt.date.fromisoformat(text).isoformat()
        if ftype == "datetime":
            return _timestamp(dt.datetime.fromisoformat(text))
    except ValueError as exc:
        raise ParameterError(f"{name}: {value!r} is not a valid {ftype}", hint=_type_hint(ftype)) from exc
    return value


def coerce_literal(value: Any, ftype: str, name: str) -> Scalar:
    """A CQL2 literal (str, number, bool, date, datetime) converted to a field's stored form."""
    ok: Scalar | None = None
    if ftype == "string" and isinstance(value, str):
        ok = value
    elif ftype == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        ok = (
            int(value) if math.isfinite(value) and float(value).is_integer() and abs(value) <= INT64 else None
        )
    elif ftype == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        ok = float(value)
    elif ftype == "boolean" and isinstance(value, bool):
        ok = value
    elif ftype in ("date", "datetime") and isinstance(value, str):
        return coerce_text(value, ftype, name)
    elif ftype == "date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        ok = value.isoformat()
    elif ftype == "datetime" and isinstance(value, dt.datetime | dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time(0, 0))
        ok = _timestamp(moment)
    if ok is None:
        raise ParameterError(
            f"filter: {name!r} holds {ftype} values and cannot be compared with {value!r}",
            hint=_type_hint(ftype),
        )
    return ok


def _timestamp(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _type_hint(ftype: str) -> str:
    return {
        "integer": "write a whole number, e.g. 2020",
        "float": "write a number, e.g. 12.5",
        "boolean": "write true or false",
        "date": "write an ISO date, e.g. 2021-06-01 (CQL2: DATE('2021-06-01'))",
        "datetime": "write an RFC 3339 time, e.g. 2021-06-01T08:00:00Z (CQL2: TIMESTAMP('...'))",
        "string": "quote text in single quotes, e.g. class_code = '0101'",
    }.get(ftype, "")


def datetime_filter(category: Category, value: str | None) -> Expr | None:
    """The ``datetime`` parameter as comparisons on the category's time field."""
    if value is None:
        return None
    name = require_time_field(category)
    ftype = queryable_types(category)[name]
    start, end = datetime_param(value)
    low = None if start is None else Compare(">=", name, time_value(start, ftype))
    high = None if end is None else Compare("<=", name, time_value(end, ftype))
    return all_of(low, high)


def property_filters(category: Category, params: list[tuple[str, str]]) -> Expr | None:
    """``name=value`` pairs on queryables as equality tests; a repeated name means any of its values."""
    types = queryable_types(category)
    grouped: dict[str, list[Scalar]] = {}
    for name, value in params:
        if name in types:
            grouped.setdefault(name, []).append(coerce_text(value, types[name], name))
    tests: list[Expr | None] = [
        Compare("=", name, values[0]) if len(values) == 1 else In(name, tuple(values))
        for name, values in grouped.items()
    ]
    return all_of(*tests)
