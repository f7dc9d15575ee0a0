"""Reads whose SQL Django writes once per process (issue 14, docs/hot-pages.md).

Building a query costs Django's ORM more than running it: on the consultation page the chart's
three queries took about 2.5 ms of CPU to build and turn into objects, against 0.05 ms each for
PostgreSQL to answer. A ``PreparedRead`` has the ORM compile its queryset once per database
connection, with a marker in place of the one value that changes (a primary key), if any, then
runs that SQL with the real value and builds the instances exactly as the ORM does (its
converters, ``Model.from_db`` and its ``select_related`` populators), or the values of a
``values_list``. The SQL and the objects are the ORM's own: only the building is not repeated.
On PostgreSQL such SQL is also prepared once per connection (``server_side``), for PostgreSQL
spent more time planning these queries than running them. Shared by the apps (the audit finds
a page's patient with one; the session and the user are read through ``server_side``).
"""

import hashlib
import inspect
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import (
    FlatValuesListIterable,
    ValuesListIterable,
    get_related_populators,
)

# The value a read is compiled with, found again among the SQL's parameters: an id no row has.
_MARKER = -7_654_321_987


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple  # with _MARKER where the value goes
    shape: str  # "instances", "values" (a flat values_list) or "tuples" (a values_list)
    model: type[Model] | None
    fields_start: int
    fields_end: int
    init_list: list[str]
    converters: list  # (position, converters, expression), as the compiler's
    populators: list


def server_side(sql: str, using: str = "default") -> str:
    """The statement to run for ``sql`` (a query with ``%s`` parameters, the same each time):
    on PostgreSQL, unless ``settings.PREPARED_STATEMENTS`` is off, ``EXECUTE`` of a statement
    prepared once per connection (planning the chart's reads, or the user with their
    permissions, cost PostgreSQL three to six times running them); elsewhere ``sql`` itself.
    The statement takes the same parameters and gives the same rows and columns."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not settings.PREPARED_STATEMENTS:
        return sql
    name, prepare, execute = _statement(sql)
    connection.ensure_connection()
    raw = connection.connection
    # A prepared statement lives as long as its connection: forget them with it.
    known = getattr(connection, "milia_prepared", None)
    if known is None or known[0] is not raw:
        known = connection.milia_prepared = (raw, set())
    if name not in known[1]:
        # Not one of the page's queries, and outside Django's cursor: connection set-up. Its
        # errors are Django's all the same (a lock timeout is then a "try again" page).
        with connection.wrap_database_errors, raw.cursor() as cursor:
            cursor.execute(prepare)
        known[1].add(name)
    return execute


@lru_cache(maxsize=256)
def _statement(sql: str) -> tuple[str, str, str]:
    """(name, PREPARE, EXECUTE with %s parameters) for ``sql``. Django writes every value as a
    parameter, so each ``%s`` is one (``$1``, ``$2``...) and ``%%`` is a percent sign."""
    name = f"milia_{hashlib.sha256(sql.encode()).hexdigest()[:20]}"
    count = 0

    def numbered(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    body = re.sub(r"%[s%]", numbered, sql)
    arguments = ", ".join(["%s"] * count)
    return (
        name,
        f"PREPARE {name} AS {body}",
        f"EXECUTE {name}({arguments})" if count else f"EXECUTE {name}",
    )


class PreparedRead:
    """``PreparedRead(lambda pk: Model.objects.filter(...=pk))``: ``read(pk)`` is the list the
    queryset would give for ``pk`` (``PreparedRead(lambda: ...)``, ``read()``: a read of no
    value). The queryset gives instances, and may select related rows, or is a
    ``values_list``, flat or not; it may not annotate, defer or prefetch."""

    def __init__(self, build: Callable[..., QuerySet]):
        self._build = build
        self._takes_value = len(inspect.signature(build).parameters) == 1
        # One compilation per connection: a connection's converters belong to it.
        self._compiled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __call__(self, *value: int, using: str = "default") -> list:
        if len(value) != self._takes_value:
            raise TypeError(f"this read takes {int(self._takes_value)} value, not {len(value)}")
        connection = connections[using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            compiled = self._compiled[connection] = self._compile(using)
        params = [int(value[0]) if param == _MARKER else param for param in compiled.params]
        with connection.cursor() as cursor:
            cursor.execute(server_side(compiled.sql, using), params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            if compiled.converters:
                row = list(row)
                for position, converters, expression in compiled.converters:
                    for converter in converters:
                        row[position] = converter(row[position], expression, connection)
            if compiled.shape == "values":
                found.append(row[0])
            elif compiled.shape == "tuples":
                found.append(tuple(row))
            else:
                instance = compiled.model.from_db(
                    using, compiled.init_list, row[compiled.fields_start : compiled.fields_end]
                )
                for populator in compiled.populators:
                    populator.populate(row, instance)
                found.append(instance)
        return found

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(_MARKER) if self._takes_value else self._build()
        query = queryset.query
        if query.annotations or query.deferred_loading[0] or queryset._prefetch_related_lookups:
            raise ValueError("a prepared read selects whole rows, with no annotation or prefetch")
        if queryset._iterable_class is FlatValuesListIterable:
            shape = "values"
        elif queryset._iterable_class is ValuesListIterable:
            shape = "tuples"
        elif queryset._fields:
            raise ValueError("a prepared read gives instances or a values_list, not dicts")
        else:
            shape = "instances"
        compiler = query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if self._takes_value and _MARKER not in params:
            raise ValueError("a prepared read's queryset must use the value it is given")
        select, klass_info = compiler.select, compiler.klass_info
        converters = compiler.get_converters([column[0] for column in select[: compiler.col_count]])
        converters = [(position, *found) for position, found in converters.items()]
        if shape != "instances":
            return _Compiled(sql, tuple(params), shape, None, 0, 0, [], converters, [])
        fields_start = klass_info["select_fields"][0]
        fields_end = klass_info["select_fields"][-1] + 1
        return _Compiled(
            sql=sql,
            params=tuple(params),
            shape=shape,
            model=klass_info["model"],
            fields_start=fields_start,
            fields_end=fields_end,
            init_list=[column[0].target.attname for column in select[fields_start:fields_end]],
            converters=converters,
            populators=get_related_populators(klass_info, select, using),
        )


def set_prefetched(instance: Model, relation: str, rows: list[Model]) -> None:
    """Leave ``rows`` where ``prefetch_related(relation)`` leaves a reverse foreign key's rows
    (as ``django.db.models.query.prefetch_one_level`` does): ``instance.<relation>.all()``
    gives them without a query, and a filter on it still asks the database."""
    manager = getattr(instance, relation)
    queryset = manager.get_queryset()
    queryset._result_cache = rows
    queryset._prefetch_done = True
    if not hasattr(instance, "_prefetched_objects_cache"):
        instance._prefetched_objects_cache = {}
    instance._prefetched_objects_cache[manager.field.remote_field.cache_name] = queryset
