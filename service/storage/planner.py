"""Hints for SQLite's query planner, which has no statistics (the service never runs ANALYZE) and so guesses from
the shape of a query alone; PostgreSQL plans from its statistics and gets the plain expression."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType


class Likely(ColumnElement[Any]):
    """A condition that holds for most rows: SQLite's `likely(...)`, the bare condition elsewhere.

    Without statistics SQLite takes an equality on an index's first column as selective, even `status = 'published'`,
    which most rows meet. Marked likely, the condition stops drawing the planner to an index that starts with it, and a
    partial index whose WHERE names the same condition still qualifies (SQLite looks through `likely`)."""

    type = NullType()  # not Boolean: SQLite would be sent `likely(...) = 1`, which no partial index matches
    inherit_cache = True
    _traverse_internals = [("condition", InternalTraversal.dp_clauseelement)]

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition


@compiles(Likely)
def _plain(element: Likely, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.condition, **kw))


@compiles(Likely, "sqlite")
def _sqlite(element: Likely, compiler: Any, **kw: Any) -> str:
    return f"likely({compiler.process(element.condition, **kw)})"
