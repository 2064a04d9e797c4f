"""CQL2 filters (OGC API Features Part 3) into the store's neutral conditions.

pygeofilter parses the predicates; the boolean structure of CQL2-text (AND binding tighter than
OR, NOT over a parenthesized condition) is parsed here, because pygeofilter 0.4's grammar gives
AND and OR the same precedence and rejects ``NOT (a AND b)``. Property names are checked against
the collection's queryables and literals are typed by its fields; geometry literals are read in
``filter-crs`` (CRS84 by default) and moved to the storage CRS.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text
from shapely.geometry import shape

from liuyu.api.filters import coerce_literal, queryable_types
from liuyu.api.params import STORAGE_CRS_URI, OutputCRS, ParameterError, is_identity
from liuyu.catalog import Category
from liuyu.geo import to_crs
from liuyu.store.query import (
    And,
    Between,
    Compare,
    CompareOp,
    Expr,
    FieldRef,
    In,
    IsNull,
    Like,
    Not,
    Or,
    Spatial,
    SpatialOp,
)

GEOMETRY_NAMES = frozenset({"geometry", "geom"})
LANGS = ("cql2-text", "cql2-json")
_TOKEN = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[()]|[^\s()'"]+""")
_SWAPPED = {"within": "contains", "contains": "within"}
MAX_DEPTH = 50  # nested parentheses / NOTs
MAX_PREDICATES = 1000


# --- CQL2-text: the boolean structure --------------------------------------------------------------
class _Text:
    """A recursive-descent parser for OR / AND / NOT / parentheses over pygeofilter predicates."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        self.i = 0
        self.depth = 0
        self.predicates = 0

    def word(self) -> str:
        return self.tokens[self.i][0].upper() if self.i < len(self.tokens) else ""

    def pos(self) -> int:
        """Where the current token starts in the text (its end when the text is used up)."""
        return self.tokens[self.i][1] if self.i < len(self.tokens) else len(self.text)

    def parse(self) -> ast.Node:
        node = self.or_()
        if self.i < len(self.tokens):
            raise self.error(f"unexpected {self.tokens[self.i][0]!r}", self.pos())
        return node

    def or_(self) -> ast.Node:
        node = self.and_()
        while self.word() == "OR":
            self.i += 1
            node = ast.Or(node, self.and_())
        return node

    def and_(self) -> ast.Node:
        node = self.not_()
        while self.word() == "AND":
            self.i += 1
            node = ast.And(node, self.not_())
        return node

    def not_(self) -> ast.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"conditions are nested more than {MAX_DEPTH} levels deep", self.pos())
        try:
            if self.word() == "NOT":
                self.i += 1
                return ast.Not(self.not_())
            if self.word() == "(" and self._is_group():
                self.i += 1
                node = self.or_()
                if self.word() != ")":
                    raise self.error("a parenthesis is not closed", len(self.text))
                self.i += 1
                return node
            return self.predicate()
        finally:
            self.depth -= 1

    def _is_group(self) -> bool:
        """A '(' groups conditions when its ')' is followed by AND, OR, ')' or the end."""
        depth = 0
        for j in range(self.i, len(self.tokens)):
            depth += {"(": 1, ")": -1}.get(self.tokens[j][0], 0)
            if depth == 0:
                after = self.tokens[j + 1][0].upper() if j + 1 < len(self.tokens) else ""
                return after in ("", "AND", "OR", ")")
        return True

    def predicate(self) -> ast.Node:
        self.predicates += 1
        if self.predicates > MAX_PREDICATES:
            raise self.error(f"more than {MAX_PREDICATES} conditions", self.pos())
        start, depth, between = self.i, 0, False
        while self.i < len(self.tokens):
            word = self.word()
            if depth == 0 and (word == "OR" or word == ")" or (word == "AND" and not between)):
                break
            between = (between or word == "BETWEEN") and not (word == "AND" and depth == 0)
            depth += {"(": 1, ")": -1}.get(word, 0)
            self.i += 1
        if self.i == start:
            raise self.error("a condition is missing", self.pos())
        source = self.text[self.tokens[start][1] : self.tokens[self.i - 1][2]]
        try:
            node: ast.Node = parse_cql2_text(source)
        except Exception as exc:  # lark's errors: report the first line, with our position
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise self.error(f"cannot read {source!r}: {first}", self.tokens[start][1]) from exc
        return node

    def error(self, what: str, at: int) -> ParameterError:
        return ParameterError(
            f"filter: {what} (at character {at + 1})",
            hint="write CQL2 text, e.g. class_code = '0101' AND area_m2 > 500, "
            "or S_INTERSECTS(geometry, POLYGON((116.9 40.4, 117 40.4, 117 40.5, 116.9 40.4)))",
        )


def parse_ast(text: str, lang: str | None) -> ast.Node:
    """The pygeofilter AST of a ``filter`` in ``filter-lang`` (cql2-text by default)."""
    lang = (lang or "cql2-text").strip().lower()
    if lang not in LANGS:
        raise ParameterError(f"filter-lang: {lang!r} is not supported", hint=f"use one of {', '.join(LANGS)}")
    if not text.strip():
        raise ParameterError("filter: it is empty", hint="leave the parameter out, or write a condition")
    if lang == "cql2-text":
        return _Text(text).parse()
    try:
        node: ast.Node = parse_cql2_json(text)
    except Exception as exc:
        raise ParameterError(f"filter: not a CQL2-JSON expression ({exc})") from exc
    return node


# --- AST -> neutral conditions -----------------------------------------------------------------
class _Translator:
    def __init__(self, category: Category, filter_crs: OutputCRS) -> None:
        self.category = category
        self.types = queryable_types(category)
        self.crs = filter_crs

    def expr(self, node: Any) -> Expr:
        if isinstance(node, ast.And | ast.Or):
            kind = type(node)
            items = tuple(self.expr(n) for n in _operands(node, kind))
            return And(items) if kind is ast.And else Or(items)
        if isinstance(node, ast.Not):
            return Not(self.expr(node.sub_node))
        if isinstance(node, ast.Comparison):
            return self.compare(node)
        if isinstance(node, ast.Between):
            name = self.prop(node.lhs)
            low, high = (coerce_literal(v, self.types[name], name) for v in (node.low, node.high))
            return self.negate(Between(name, low, high), node.not_)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            name = self.prop(node.lhs)
            vals = tuple(coerce_literal(v, self.types[name], name) for v in node.sub_nodes)
            return self.negate(In(name, vals), node.not_)
        if isinstance(node, ast.IsNull):
            return self.negate(IsNull(self.prop(node.lhs)), node.not_)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node)
        raise ParameterError(
            f"filter: {type(node).__name__} is not supported here",
            hint="use comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT and S_ spatial functions",
        )

    @staticmethod
    def negate(expr: Expr, flag: bool) -> Expr:
        return Not(expr) if flag else expr

    def prop(self, node: Any) -> str:
        if not isinstance(node, ast.Attribute):
            raise ParameterError(
                f"filter: expected a property name, got {node!r}",
                hint="functions such as CASEI and arithmetic are not supported",
            )
        if node.name not in self.types:
            raise ParameterError(
                f"filter: {node.name!r} is not a queryable of {self.category.code!r}",
                hint=f"queryables: {', '.join(self.types)} "
                f"(see /collections/{self.category.code}/queryables)",
            )
        return str(node.name)

    def compare(self, node: ast.Comparison) -> Expr:
        op: CompareOp = node.op.value
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs = rhs, lhs
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)  # type: ignore[assignment]
        name = self.prop(lhs)
        if isinstance(rhs, ast.Attribute):
            return Compare(op, name, FieldRef(self.prop(rhs)))
        return Compare(op, name, coerce_literal(rhs, self.types[name], name))

    def like(self, node: ast.Like) -> Expr:
        name = self.prop(node.lhs)
        if self.types[name] != "string" or not isinstance(node.pattern, str):
            raise ParameterError(f"filter: LIKE needs a text property and a quoted pattern ({name!r})")
        return self.negate(Like(name, node.pattern), node.not_)

    def spatial(self, node: ast.SpatialComparisonPredicate) -> Expr:
        op: str = node.op.value.lower()
        lhs, rhs = node.lhs, node.rhs
        if isinstance(rhs, ast.Attribute) and not isinstance(lhs, ast.Attribute):
            lhs, rhs, op = rhs, lhs, _SWAPPED.get(op, op)
        if not isinstance(lhs, ast.Attribute) or lhs.name not in GEOMETRY_NAMES:
            raise ParameterError(
                f"filter: S_{op.upper()} compares the property 'geometry' with a geometry literal",
                hint="e.g. S_INTERSECTS(geometry, POLYGON((...)))",
            )
        spatial_op: SpatialOp = op  # type: ignore[assignment]
        return Spatial(spatial_op, self.geometry(rhs))

    def geometry(self, node: Any) -> shapely.Geometry:
        """A geometry literal in the storage CRS (x = longitude), from ``filter-crs`` axis order."""
        if isinstance(node, values.Geometry | values.Envelope):
            geom = shape(node.geometry)
        elif isinstance(node, ast.Function) and node.name.lower() == "bbox":
            coords = [float(a) for a in node.arguments]
            if len(coords) == 6:
                coords = [coords[0], coords[1], coords[3], coords[4]]
            if len(coords) != 4:
                raise ParameterError("filter: BBOX takes 4 (or 6) numbers")
            geom = shapely.box(*coords)
        else:
            raise ParameterError(f"filter: expected a geometry literal, got {node!r}")
        if self.crs.lat_first:
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        if not is_identity(self.crs.uri, STORAGE_CRS_URI):
            geom = to_crs(np.array([geom], dtype=object), self.crs.uri, STORAGE_CRS_URI)[0]
        return geom


def _operands(node: ast.Node, kind: type) -> list[ast.Node]:
    """The operands of a chain of ANDs (or ORs) as one flat list, without recursion: ``a OR b OR ...``
    parses into a left-deep tree as deep as it is long."""
    out: list[ast.Node] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is kind:
            stack += [n.rhs, n.lhs]  # type: ignore[attr-defined]
        else:
            out.append(n)
    return out


def cql_filter(text: str | None, lang: str | None, category: Category, filter_crs: OutputCRS) -> Expr | None:
    """The ``filter`` parameter as a neutral condition on ``category`` (None when absent).

    Examples
    --------
    >>> from liuyu.api.params import crs_param, CRS84
    >>> cql_filter("class_code = '0101' OR area_m2 > 5 AND county_code = '110118'",
    ...            None, get_category("land_use"), crs_param(None, [CRS84]))  # doctest: +SKIP
    Or(items=(Compare(op='=', field='class_code', value='0101'), And(...)))
    """
    if text is None:
        return None
    try:
        return _Translator(category, filter_crs).expr(parse_ast(text, lang))
    except RecursionError as exc:  # e.g. a CQL2-JSON document nested thousands deep
        raise ParameterError("filter: nested too deeply", hint=f"keep it under {MAX_DEPTH} levels") from exc
