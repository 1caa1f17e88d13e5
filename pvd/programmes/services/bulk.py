"""Bulk creation of business records with their history, for list imports.

``simple_history.utils.bulk_create_with_history`` builds one historical model instance per row
and inserts them through the ORM compiler; for a 1,700-laureate list (≈ 5,000 records plus as
many historical rows) that Python overhead was measured to be more than half of the import time
(bench/bench_laureats.py). Here the records themselves still go through ``bulk_create`` (primary
keys returned), and their historical rows ("+" creation records, same columns simple-history
writes) are inserted with one parametrised ``executemany`` per batch, values prepared by the
fields themselves (``get_db_prep_save``), portable to SQLite and PostgreSQL. If the historical
model has anything this function does not know, it falls back to simple-history's own path.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

_HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type", "history_user"}


def bulk_create_with_fast_history(objs: list, model, user=None, batch_size: int = 1000) -> list:
    if not objs:
        return objs
    history_model = model.history.model
    tracked = list(history_model.tracked_fields)
    tracked_names = {f.name for f in tracked}
    unknown = [
        f.name
        for f in history_model._meta.concrete_fields
        if f.name not in _HISTORY_FIELDS and f.name not in tracked_names
    ]
    if unknown or hasattr(history_model, "history_relation"):
        return bulk_create_with_history(objs, model, batch_size=batch_size, default_user=user)
    objs = model._default_manager.bulk_create(objs, batch_size=batch_size)
    if any(obj.pk is None for obj in objs):  # backend without RETURNING: let simple-history re-read
        history_model.objects.bulk_history_create(objs, batch_size=batch_size, default_user=user)
        return objs
    if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return objs
    connection = connections[router.db_for_write(history_model)]
    meta = history_model._meta
    columns = [meta.get_field(f.name) for f in tracked] + [
        meta.get_field("history_date"),
        meta.get_field("history_change_reason"),
        meta.get_field("history_type"),
        meta.get_field("history_user"),
    ]
    quote = connection.ops.quote_name
    # Identifiers come from the model's metadata (quoted); values are parameters.
    table, names = quote(meta.db_table), ", ".join(quote(c.column) for c in columns)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    history_fields = [(meta.get_field(f.name), f.attname) for f in tracked]
    date = meta.get_field("history_date").get_db_prep_save(timezone.now(), connection)
    user_id = getattr(user, "pk", None)
    rows = [
        [hf.get_db_prep_save(getattr(obj, attname), connection) for hf, attname in history_fields]
        + [date, None, "+", user_id]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            cursor.executemany(sql, rows[start : start + batch_size])
    return objs
