"""Import of a 1,700-row official list (CSV, generated from the real referential) into SQLite.

Runs on a temporary SQLite file (migrated, referential loaded with ``import_cog``). Baseline,
measured in the same run: parsing the same file with the ``csv`` module. Target: the import
(validation + writing, nothing yet in the database) ≤ 2 s on SQLite; the ratio is printed.
Runs with ``DEBUG = False`` (production setting: Django does not keep every SQL query).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.db import connections

from bench.harness import measure

ROWS = 1_700


def generate_csv(rows: int = ROWS) -> str:
    """A list in the data.gouv.fr format: communes under 20,000 inhabitants spread over all
    départements (deterministic); one laureate in 30 has a second commune (two rows, one id)."""
    from pvd.territoires.models import Commune

    communes = list(
        Commune.objects.current()
        .filter(population__gte=1_000, population__lt=20_000, epci__isnull=False)
        .exclude(zone="com")
        .order_by("code")
        .values_list("code", "nom", "region_id", "departement_id")
    )
    step = len(communes) / rows
    chosen = [communes[int(i * step)] for i in range(rows)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["insee_com", "lib_com", "id_pvd", "date_signature"])
    counters: dict[str, int] = {}
    identifiant = ""
    for i, (code, nom, region, departement) in enumerate(chosen):
        if i % 30 != 29 or not identifiant:  # every 30th row joins the previous laureate
            counters[departement] = counters.get(departement, 0) + 1
            identifiant = f"pvd-{region}-{departement}-{counters[departement]}"
            date = dt.date(2021, 1, 1) + dt.timedelta(days=(i * 37) % 900)
        writer.writerow([code, nom, identifiant, date.isoformat() if i % 11 else ""])
    return out.getvalue()


def _wipe() -> None:
    from pvd.programmes.models import Jalon, Laureat, LaureatCommune

    Jalon.objects.all()._raw_delete(Jalon.objects.db)
    LaureatCommune.objects.all()._raw_delete(LaureatCommune.objects.db)
    Laureat.objects.all()._raw_delete(Laureat.objects.db)
    Jalon.history.all()._raw_delete(Jalon.objects.db)
    Laureat.history.all()._raw_delete(Laureat.objects.db)


def run(report) -> None:
    from django.conf import settings

    settings.DEBUG = False  # as in production: no per-query SQL logging
    connection = connections["default"]
    if connection.vendor != "sqlite":
        report.line("SQLite only (DATABASE_URL is set): skipped.")
        return
    connection.close()
    previous = connection.settings_dict["NAME"]
    with tempfile.TemporaryDirectory() as tmp:
        connection.settings_dict["NAME"] = str(Path(tmp) / "bench-laureats.sqlite3")
        try:
            call_command("migrate", verbosity=0)
            call_command("import_cog", verbosity=0)
            _run(report, Path(tmp))
        finally:
            connection.close()
            connection.settings_dict["NAME"] = previous


def _run(report, tmp: Path) -> None:
    from pvd.programmes.models import Laureat
    from pvd.programmes.services.import_liste import import_laureats

    path = tmp / "pvd-1700.csv"
    path.write_text(generate_csv(), encoding="utf-8")
    with path.open(encoding="utf-8") as f:
        n_rows = sum(1 for _ in f) - 1
    report.line(f"file: {n_rows} rows, {path.stat().st_size // 1024} KiB")

    def parse():
        with path.open(encoding="utf-8-sig", newline="") as f:
            return list(csv.DictReader(f, delimiter=";"))

    baseline = measure("parse csv", parse, repeat=7)
    outcome = {}

    def do_import():
        outcome["report"] = import_laureats(path)

    first = measure("import", do_import, repeat=3, setup=_wipe)
    rep = outcome["report"]
    assert rep.ok and rep.written, rep.lines()[:10]
    report.line(f"import: {rep.counts} ({len(rep.warnings)} warnings); {Laureat.objects.count()} laureates")
    report.absolute("import 1,700 rows into an empty programme (best of 3)", first.best, target=2.0)
    report.ratio("import vs csv parse (median)", first.median, baseline.median)
    again = measure("re-import", do_import, repeat=3)
    assert outcome["report"].counts["inchangés"] == rep.counts["créés"]
    report.absolute("re-import of the same file, nothing changes (best of 3)", again.best, target=2.0)
    report.ratio("re-import vs csv parse (median)", again.median, baseline.median)
