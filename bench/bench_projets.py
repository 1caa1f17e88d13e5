"""Projets at national scale: national aggregates page and a filtered, paginated list of actions.

Builds a national dataset in a fresh database (SQLite temp file by default; a scratch database on
the PostgreSQL server when DATABASE_URL points to one): migrate, import_cog, then
``generate_national`` (≈1,650 laureates, ≈28,000 actions, ≈90,000 financing lines). Pages are
served through Django's test Client logged in as an administrator (everything visible); median
server time is compared with a trivial view (/sante/) measured in the same run.
Targets: aggregates ≤ 200 ms, list ≤ 100 ms.
"""

from __future__ import annotations

import io
import os
import tempfile
import time

from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from bench.harness import measure

PG_BENCH_DB = "pvd_bench_projets"


def _use_fresh_database() -> tuple[str, callable]:
    """Point the default connection to a fresh database; return (label, cleanup)."""
    conn = connections["default"]
    if conn.vendor == "postgresql":
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
            cursor.execute(f"CREATE DATABASE {PG_BENCH_DB}")
        previous = conn.settings_dict["NAME"]
        conn.close()
        conn.settings_dict["NAME"] = PG_BENCH_DB

        def cleanup():
            conn.close()
            conn.settings_dict["NAME"] = previous
            with connections["default"].cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB}")
            connections["default"].close()

        return f"PostgreSQL (base temporaire {PG_BENCH_DB})", cleanup
    tmpdir = tempfile.mkdtemp(prefix="pvd-bench-projets-")
    path = os.path.join(tmpdir, "bench.sqlite3")
    conn.close()
    conn.settings_dict["NAME"] = path

    def cleanup():
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.rmdir(tmpdir)

    return f"SQLite (fichier temporaire {path})", cleanup


def _timed(report, label: str, fn) -> None:
    start = time.perf_counter()
    fn()
    report.line(f"{label}: {time.perf_counter() - start:.1f} s")


def run(report) -> None:
    label, cleanup = _use_fresh_database()
    report.line(f"base : {label}")
    try:
        _run(report)
    finally:
        cleanup()


def _run(report) -> None:
    from pvd.comptes.models import User
    from pvd.projets.demo import generate_national
    from pvd.projets.models import FicheAction, Financement, Theme

    _timed(report, "migrate", lambda: call_command("migrate", verbosity=0))
    _timed(report, "import_cog", lambda: call_command("import_cog", verbosity=0))
    _timed(report, "generate_national", lambda: generate_national(stdout=io.StringIO()))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the planner (both engines)
    report.line(
        f"données : {FicheAction.objects.count()} fiches actions, {Financement.objects.count()} financements"
    )
    admin = User.objects.create_superuser("bench-projets@pvd.localhost")
    client = Client()
    client.force_login(admin)
    theme = Theme.objects.get(slug="commerce").pk
    urls = {
        "baseline /sante/": "/sante/",
        "page d'accueil / (gabarit DSFR seul)": "/",
        "agrégats nationaux": "/projets/agregats/",
        "agrégats d'une région": "/projets/agregats/region/27/",
        "liste filtrée (thème + statut, page 3)": f"/projets/?theme={theme}&statut=en_cours&page=3",
        "liste filtrée (région + en retard)": "/projets/?region=84&en_retard=true&page=2",
        "liste non filtrée (page 100)": "/projets/?page=100",
    }
    for url in urls.values():  # warm-up (templates, caches)
        assert client.get(url).status_code == 200, url
    timings = {}
    for name, url in urls.items():
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            client.get(url)
        timings[name] = measure(name, lambda url=url: client.get(url), repeat=15 if "baseline" in name else 9)
        report.line(f"{name}: {count[0]} requêtes SQL")
    baseline = timings.pop("baseline /sante/").median
    home = timings.pop("page d'accueil / (gabarit DSFR seul)").median
    report.ratio("page d'accueil / (gabarit DSFR seul, médiane)", home, baseline)
    for name, timing in timings.items():
        report.ratio(f"{name} (médiane)", timing.median, baseline)
    report.absolute("agrégats nationaux (médiane)", timings["agrégats nationaux"].median, target=0.200)
    report.absolute(
        "liste filtrée paginée (médiane)",
        timings["liste filtrée (thème + statut, page 3)"].median,
        target=0.100,
    )
