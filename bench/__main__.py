"""Run the benchmarks: ``python -m bench [name ...]`` (all ``bench/bench_*.py`` by default)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pvd.settings")
    import django

    django.setup()
    from bench.harness import Report

    names = argv or sorted(
        m.name[len("bench_") :]
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name.startswith("bench_")
    )
    misses: list[str] = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        report = Report(name)
        print(
            f"== {name}: {(module.__doc__ or '').strip().splitlines()[0] if module.__doc__ else ''}",
            flush=True,
        )
        module.run(report)
        misses += report.misses
    if misses:
        print("\nTargets missed:\n  " + "\n  ".join(misses))
        return 1
    print("\nAll benchmark targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
