"""Bulk creation of business records with their history, for list imports.

``QuerySet.bulk_create`` + ``simple_history.utils.bulk_create_with_history`` go through the ORM's
SQL compiler row by row and field by field, and simple-history builds one historical model
instance per row; for a 1,700-laureate list (≈ 5,000 records plus as many historical rows) that
Python overhead was measured to be most of the import time (bench/bench_laureats.py: ≈ 2.3 s →
≈ 1 s on this machine). Here both the records and their historical rows ("+" creation records,
the same columns simple-history writes) are inserted with one parametrised ``executemany`` per
batch, values prepared by the fields themselves (``get_db_prep_save``) as the ORM does, portable
to SQLite and PostgreSQL; primary keys are then read back by a natural key in one query.

Limits, checked before taking the fast path (otherwise the ORM/simple-history path is used):
the model's primary key is an auto field, no field needs a ``pre_save`` other than auto_now(_add)
timestamps, and the historical model has only the fields simple-history creates for it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

_HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}
BATCH = 1000


def _executemany(connection, table: str, columns: list[models.Field], rows: list[list]) -> None:
    quote = connection.ops.quote_name
    # Identifiers come from the model's metadata (quoted); values are parameters.
    names = ", ".join(quote(c.column) for c in columns)
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _preparer(field: models.Field, connection):
    """``get_db_prep_save`` for a field, memoised for repeated hashable values (dates, FKs…)."""
    cache: dict = {}

    def prep(value):
        try:
            return cache[value]
        except KeyError:
            prepared = cache[value] = field.get_db_prep_save(value, connection)
            return prepared
        except TypeError:  # unhashable
            return field.get_db_prep_save(value, connection)

    return prep


def _history_ok(history_model) -> bool:
    tracked_names = {f.name for f in history_model.tracked_fields}
    unknown = [
        f.name
        for f in history_model._meta.concrete_fields
        if f.name not in _HISTORY_FIELDS and f.name not in tracked_names
    ]
    return not unknown and not hasattr(history_model, "history_relation")


def _model_ok(model) -> bool:
    pk = model._meta.pk
    if not isinstance(pk, models.AutoField | models.BigAutoField | models.SmallAutoField):
        return False
    for f in model._meta.concrete_fields:
        if f.primary_key or isinstance(f, models.DateField):  # dates: pre_save only for auto_now(_add)
            continue
        if type(f).pre_save is not models.Field.pre_save:
            return False
    return True


def bulk_create_with_fast_history(
    objs: list,
    model,
    natural_key: Callable[[models.Model], Hashable],
    key_fields: tuple[str, ...],
    user=None,
) -> list:
    """Insert ``objs`` (new instances of ``model``) and their creation history; sets their pks.

    ``natural_key(obj)`` must be unique among the model's rows and equal to the tuple of
    ``key_fields`` values read back from the database (e.g. ``("programme_id", "identifiant")``).
    """
    if not objs:
        return objs
    history_model = model.history.model
    if not (_model_ok(model) and _history_ok(history_model)):
        return bulk_create_with_history(objs, model, batch_size=BATCH, default_user=user)
    connection = connections[router.db_for_write(model)]
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    preps = [(_preparer(f, connection), f.attname) for f in fields]
    _executemany(
        connection,
        model._meta.db_table,
        fields,
        [[prep(getattr(obj, attname)) for prep, attname in preps] for obj in objs],
    )
    keys = {natural_key(obj): obj for obj in objs}
    lookup = {f"{key_fields[0]}__in": {k[0] for k in keys}}
    for row in model._default_manager.filter(**lookup).values_list(*key_fields, "pk"):
        obj = keys.get(tuple(row[:-1]))
        if obj is not None:
            obj.pk = row[-1]
            obj._state.adding = False
            obj._state.db = connection.alias
    if any(obj.pk is None for obj in objs):
        raise RuntimeError(f"{model.__name__}: primary keys not found after insertion")
    if getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        meta = history_model._meta
        tracked = list(history_model.tracked_fields)
        columns = [meta.get_field(f.name) for f in tracked] + [
            meta.get_field(name)
            for name in ("history_date", "history_change_reason", "history_type", "history_user")
        ]
        tail = [
            meta.get_field("history_date").get_db_prep_save(now, connection),
            None,
            "+",
            getattr(user, "pk", None),
        ]
        hpreps = [(_preparer(meta.get_field(f.name), connection), f.attname) for f in tracked]
        _executemany(
            connection,
            meta.db_table,
            columns,
            [[prep(getattr(obj, attname)) for prep, attname in hpreps] + tail for obj in objs],
        )
    return objs
