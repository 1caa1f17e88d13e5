"""Indexes for the commune search (``services/search.py``).

- PostgreSQL: "name starts with" (``LIKE 'x%'``) can only use a b-tree built with the
  ``varchar_pattern_ops`` operator class (or the C collation): this migration adds one on
  ``nom_normalise``.
- SQLite: the plain index on ``nom_normalise`` serves "starts with" through a range; "contains"
  would scan the whole table (35,000 rows, several ms per query). An FTS5 table with the trigram
  tokenizer, ``territoires_commune_fts`` (code, nom_normalise, codes_postaux), indexes every
  3-character substring of the normalised name and of the postal codes, so that "contains" is an
  index lookup. Triggers keep it in step with ``territoires_commune`` on insert, update and
  delete, whoever writes (the loader's bulk operations included). Without FTS5 in the SQLite
  build nothing is created and the search falls back to a scan.

These are database-level structures that Django's model state does not describe (they are
specific to one backend each); the search service detects the FTS table before using it.
"""

from django.db import migrations
from django.db.utils import OperationalError

PG_INDEX = "commune_nom_prefix_idx"
FTS = "territoires_commune_fts"

SQLITE_CREATE = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5(code, nom_normalise, codes_postaux, tokenize='trigram')",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON territoires_commune BEGIN
        INSERT INTO {FTS}(code, nom_normalise, codes_postaux)
        VALUES (new.code, new.nom_normalise, new.codes_postaux);
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON territoires_commune BEGIN
        DELETE FROM {FTS} WHERE {FTS} MATCH 'code:"' || old.code || '"' AND code = old.code;
    END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF code, nom_normalise, codes_postaux
        ON territoires_commune
        WHEN old.code IS NOT new.code OR old.nom_normalise IS NOT new.nom_normalise
             OR old.codes_postaux IS NOT new.codes_postaux
    BEGIN
        DELETE FROM {FTS} WHERE {FTS} MATCH 'code:"' || old.code || '"' AND code = old.code;
        INSERT INTO {FTS}(code, nom_normalise, codes_postaux)
        VALUES (new.code, new.nom_normalise, new.codes_postaux);
    END""",
    f"""INSERT INTO {FTS}(code, nom_normalise, codes_postaux)
        SELECT code, nom_normalise, codes_postaux FROM territoires_commune""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {FTS}_insert",
    f"DROP TRIGGER IF EXISTS {FTS}_delete",
    f"DROP TRIGGER IF EXISTS {FTS}_update",
    f"DROP TABLE IF EXISTS {FTS}",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON territoires_commune (nom_normalise varchar_pattern_ops)"
        )
    elif vendor == "sqlite":
        try:
            schema_editor.execute(SQLITE_CREATE[0])
        except OperationalError:  # SQLite built without FTS5 / trigram (< 3.34): search scans
            return
        for statement in SQLITE_CREATE[1:]:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("territoires", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=False),
    ]
