"""Referential load (import_cog) into an empty SQLite database vs json.load + executemany baseline.

Run with ``.venv/bin/python -m bench cog``. Everything is measured in this process, on SQLite:

* **baseline**: plain ``json.load`` of the four package files, then ``executemany`` of the same
  rows (same number of rows and of columns per table as the referential's tables: the values are
  copied from the JSON without validation nor normalisation) into bare tables (no index, no
  constraint) of a fresh SQLite file, with the project's pragmas (WAL, synchronous=NORMAL), one
  transaction;
* **full load**: ``import_cog()`` into a fresh copy of a freshly migrated, empty database (the
  copy is made before the timer starts), one copy per sample;
* **re-run**: ``import_cog()`` again on the loaded database (nothing to change).

Targets (issue 2): full load ≤ 3× baseline, re-run ≤ 1.5× baseline. Medians of ``REPEAT`` samples,
taken in interleaved rounds (baseline, full load, re-run) so that a busy machine skews none of them.
"""

from __future__ import annotations

import gc
import json
import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from bench.harness import Report, Timing, measure

REPEAT = 7


def _baseline_rows(directory: Path) -> dict[str, tuple[int, list[tuple]]]:
    """``json.load`` of the package files and the rows of each table (column count, rows)."""
    data = {}
    for name in ("regions", "departements", "epci", "communes"):
        with (directory / "data" / f"{name}.json").open("rb") as fh:
            data[name] = json.load(fh)
    epci_of = {m["code"]: e["code"] for e in data["epci"] for m in e["membres"]}
    communes, codes = [], []
    for c in data["communes"]:
        if c["type"] == "commune-actuelle":
            communes.append(
                (
                    c["code"],
                    c["nom"],
                    c["nom"],
                    c.get("siren", ""),
                    c["departement"],
                    c["region"],
                    epci_of.get(c["code"]),
                    c.get("population"),
                    " ".join(c.get("codesPostaux", ())),
                    c["zone"],
                    False,
                    2026,
                )
            )
            codes.extend((a, "ancien", c["code"], "", False, 2026) for a in c.get("anciensCodes", ()))
        else:
            codes.append((c["code"], c["type"], c.get("chefLieu") or c.get("commune"), c["nom"], False, 2026))
    return {
        "region": (
            6,
            [(r["code"], r["nom"], r["zone"], r["chefLieu"], False, 2026) for r in data["regions"]],
        ),
        "departement": (
            7,
            [
                (d["code"], d["nom"], d["region"], d["zone"], d["chefLieu"], False, 2026)
                for d in data["departements"]
            ],
        ),
        "epci": (
            7,
            [
                (e["code"], e["nom"], e["type"], e["modeFinancement"], e["populationTotale"], False, 2026)
                for e in data["epci"]
            ],
        ),
        "commune": (12, communes),
        "codecommune": (6, codes),
    }


def _baseline(directory: Path, db_path: Path) -> int:
    tables = _baseline_rows(directory)
    db = sqlite3.connect(db_path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("BEGIN")
        count = 0
        for table, (width, rows) in tables.items():
            columns = [f"c{i}" for i in range(width)]
            # codecommune has an auto-increment id besides its six loaded columns, as in the model.
            extra = "id INTEGER PRIMARY KEY, " if table == "codecommune" else ""
            db.execute(f"CREATE TABLE {table} ({extra}{', '.join(columns)})")
            db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * width)})", rows
            )
            count += len(rows)
        db.execute("COMMIT")
    finally:
        db.close()
    return count


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run(report: Report) -> None:
    from pvd.territoires.models import Commune
    from pvd.territoires.services.import_cog import import_cog, package_dir

    if connection.vendor != "sqlite":
        report.line(
            f"skipped: the referential benchmark measures SQLite (unset DATABASE_URL; got {connection.vendor})"
        )
        return
    directory = package_dir()
    settings_dict = connection.settings_dict
    original_name = settings_dict["NAME"]
    work = Path(tempfile.mkdtemp(prefix="pvd-bench-cog-"))
    template, live, bare = work / "template.sqlite3", work / "live.sqlite3", work / "bare.sqlite3"
    try:
        connection.close()
        settings_dict["NAME"] = str(template)
        call_command("migrate", verbosity=0, interactive=False)
        connection.close()

        def fresh_copy() -> None:
            connection.close()
            _remove(live)
            shutil.copyfile(template, live)
            settings_dict["NAME"] = str(live)
            gc.collect()

        def fresh_bare() -> None:
            _remove(bare)
            gc.collect()

        baseline_rows: list[int] = []
        loads, reruns = [], []
        baseline, full, rerun = Timing("baseline"), Timing("full load"), Timing("re-run")
        # Interleaved rounds (baseline, full load, re-run), so that the load of a shared machine
        # weighs on the three measures alike.
        for _ in range(REPEAT):
            baseline.samples += measure(
                "baseline", lambda: baseline_rows.append(_baseline(directory, bare)), 1, setup=fresh_bare
            ).samples
            full.samples += measure(
                "full load", lambda: loads.append(import_cog()), 1, setup=fresh_copy
            ).samples
            rerun.samples += measure(
                "re-run", lambda: reruns.append(import_cog()), 1, setup=gc.collect
            ).samples
        communes = Commune.objects.current().count()

        created = {sum(level.created for level in summary.levels.values()) for summary in loads}
        idempotent = not any(summary.changed for summary in reruns)
        report.line(
            f"rows per load: baseline {baseline_rows[0]:,}, import_cog created {', '.join(f'{n:,}' for n in created)}"
            f" ({communes:,} current communes); re-runs changed nothing: {idempotent}"
        )
        report.ratio("full load into an empty SQLite DB (median)", full.median, baseline.median, target=3)
        report.ratio("re-run, nothing to change (median)", rerun.median, baseline.median, target=1.5)
        report.line(
            f"best samples: baseline {baseline.best * 1000:.0f} ms, full load {full.best * 1000:.0f} ms, "
            f"re-run {rerun.best * 1000:.0f} ms"
        )
        if created != {baseline_rows[0]}:
            report.misses.append(
                f"cog: the full load did not create the baseline's {baseline_rows[0]:,} rows"
            )
        if not idempotent:
            report.misses.append("cog: a re-run changed something (the loader is not idempotent)")
    finally:
        connection.close()
        settings_dict["NAME"] = original_name
        shutil.rmtree(work, ignore_errors=True)
