"""The SQLite trigram index behind the commune search ("contains" without a table scan).

``territoires_commune_fts`` is an FTS5 table with the trigram tokenizer over (code, nom_normalise,
codes_postaux): every 3-character substring is indexed, so "the name contains 'sorgue'" is an
index lookup instead of a scan of 35,000 rows. Triggers on ``territoires_commune`` keep it in step
on insert, update and delete, whoever writes (the loader's bulk operations included);
``territoires_commune_fts_code`` maps a code to its FTS row so that a delete or an update costs an
index lookup.

The structure is specific to SQLite and invisible to Django's model state, so it is (re)built:
- by migration ``0003_search_indexes``;
- after every ``migrate`` (``post_migrate``), when something is missing or out of step: on SQLite a
  later migration that alters ``Commune`` rebuilds the table and drops its triggers;
- and the search only uses it when the table and its three triggers are present
  (``is_ready``), otherwise it scans: slower, never wrong. Search results are always re-checked
  against the communes themselves, so the index only has to be a superset.

PostgreSQL does not use it (its ``LIKE`` scan is fast enough; the prefix index is in 0003).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import OperationalError

logger = logging.getLogger(__name__)

FTS_TABLE = "territoires_commune_fts"
MAP_TABLE = "territoires_commune_fts_code"
TRIGGERS = (
    "territoires_commune_fts_insert",
    "territoires_commune_fts_update",
    "territoires_commune_fts_delete",
)
MIGRATION = ("territoires", "0003_search_indexes")

_INSERT = """
        INSERT INTO territoires_commune_fts(code, nom_normalise, codes_postaux)
        VALUES (new.code, new.nom_normalise, new.codes_postaux);
        INSERT OR REPLACE INTO territoires_commune_fts_code(code, fts_rowid)
        VALUES (new.code, last_insert_rowid());"""
_DELETE = """
        DELETE FROM territoires_commune_fts
        WHERE rowid = (SELECT fts_rowid FROM territoires_commune_fts_code WHERE code = old.code);
        DELETE FROM territoires_commune_fts_code WHERE code = old.code;"""

_TABLES = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS territoires_commune_fts
       USING fts5(code, nom_normalise, codes_postaux, tokenize='trigram')""",
    """CREATE TABLE IF NOT EXISTS territoires_commune_fts_code
       (code varchar(9) NOT NULL PRIMARY KEY, fts_rowid integer NOT NULL)""",
]
_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS territoires_commune_fts_insert AFTER INSERT ON territoires_commune\n"
    "    BEGIN" + _INSERT + "\n    END",
    "CREATE TRIGGER IF NOT EXISTS territoires_commune_fts_delete AFTER DELETE ON territoires_commune\n"
    "    BEGIN" + _DELETE + "\n    END",
    """CREATE TRIGGER IF NOT EXISTS territoires_commune_fts_update
        AFTER UPDATE OF code, nom_normalise, codes_postaux ON territoires_commune
        WHEN old.code IS NOT new.code OR old.nom_normalise IS NOT new.nom_normalise
             OR old.codes_postaux IS NOT new.codes_postaux
    BEGIN"""
    + _DELETE
    + _INSERT
    + "\n    END",
]
_REFILL = [
    "DELETE FROM territoires_commune_fts",
    "DELETE FROM territoires_commune_fts_code",
    """INSERT INTO territoires_commune_fts(code, nom_normalise, codes_postaux)
       SELECT code, nom_normalise, codes_postaux FROM territoires_commune""",
    "INSERT INTO territoires_commune_fts_code(code, fts_rowid) SELECT code, rowid FROM territoires_commune_fts",
]
_IN_STEP = """SELECT (SELECT count(*) FROM territoires_commune_fts_code)
                     = (SELECT count(*) FROM territoires_commune)"""
_DROP = [
    "DROP TRIGGER IF EXISTS territoires_commune_fts_insert",
    "DROP TRIGGER IF EXISTS territoires_commune_fts_update",
    "DROP TRIGGER IF EXISTS territoires_commune_fts_delete",
    "DROP TABLE IF EXISTS territoires_commune_fts_code",
    "DROP TABLE IF EXISTS territoires_commune_fts",
]


def _objects(cursor) -> set[str]:
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE name IN (%s, %s, %s, %s, %s)",
        [FTS_TABLE, MAP_TABLE, *TRIGGERS],
    )
    return {row[0] for row in cursor.fetchall()}


def is_ready(connection) -> bool:
    """Can the search use the index on this connection? (Cached on the connection object.)"""
    if connection.vendor != "sqlite":
        return False
    cached = getattr(connection, "_pvd_commune_fts_ready", None)
    if cached is None:
        with connection.cursor() as cursor:
            cached = _objects(cursor) == {FTS_TABLE, MAP_TABLE, *TRIGGERS}
        if not cached:
            logger.warning("Commune search: trigram index missing, searching by table scan (run migrate).")
        connection._pvd_commune_fts_ready = cached
    return cached


def ensure(connection, rebuild: bool = False) -> bool:
    """Create what is missing of the index and refill it when it was incomplete or out of step.

    Returns whether anything was (re)built. Does nothing on other databases, or when this SQLite
    has no FTS5 trigram tokenizer (the search then scans).
    """
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        if "territoires_commune" not in connection.introspection.table_names(cursor):
            return False
        present = _objects(cursor)
        complete = present == {FTS_TABLE, MAP_TABLE, *TRIGGERS}
        if complete and not rebuild:
            cursor.execute(_IN_STEP)
            if cursor.fetchone()[0]:
                return False
        try:
            for statement in _TABLES:
                cursor.execute(statement)
        except OperationalError as exc:  # no FTS5 or no trigram tokenizer (SQLite < 3.34)
            logger.warning("Commune search: no trigram index (%s); searches scan the table.", exc)
            return False
        for statement in [*_TRIGGERS, *_REFILL]:
            cursor.execute(statement)
    connection._pvd_commune_fts_ready = None
    return True


_INDEX_NEW_ROWS = [
    """INSERT INTO territoires_commune_fts(code, nom_normalise, codes_postaux)
       SELECT c.code, c.nom_normalise, c.codes_postaux FROM territoires_commune c
       WHERE NOT EXISTS (SELECT 1 FROM territoires_commune_fts_code m WHERE m.code = c.code)""",
    """INSERT INTO territoires_commune_fts_code(code, fts_rowid)
       SELECT f.code, f.rowid FROM territoires_commune_fts f
       WHERE NOT EXISTS (SELECT 1 FROM territoires_commune_fts_code m WHERE m.code = f.code)""",
]


@contextmanager
def bulk_inserts(connection):
    """For a load inserting many communes: the per-row insert trigger is set aside and the new rows
    are indexed by two set-based statements at the end (about 3× cheaper for the full referential).

    Must run inside the caller's transaction: if the block fails, the rollback restores the trigger
    (SQLite DDL is transactional) and nothing is indexed.
    """
    if not is_ready(connection):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER {TRIGGERS[0]}")
    yield
    with connection.cursor() as cursor:
        for statement in [*_INDEX_NEW_ROWS, _TRIGGERS[0]]:
            cursor.execute(statement)


def drop(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for statement in _DROP:
            cursor.execute(statement)
    connection._pvd_commune_fts_ready = None


def ensure_after_migrate(sender, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate`` receiver: repair the index if a migration dropped its triggers (only
    while migration 0003 is applied: unapplying it removes the index for good)."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    if MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    if ensure(connection):
        logger.info("Commune search: trigram index (re)built on %s.", using)
