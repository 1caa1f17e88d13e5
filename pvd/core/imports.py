"""Validation reports for file imports (laureate lists, fiches actions…).

An import first validates everything and collects ``Problem``s (file, line, field, reason);
errors abort the whole import (nothing written), warnings don't. ``--dry-run`` shows the report
and writes nothing. Use ``ImportReport`` to collect and ``atomic_import`` to write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

ERROR = "erreur"
WARNING = "avertissement"


@dataclass(frozen=True)
class Problem:
    level: str
    file: str
    line: int | None  # line (CSV/XLSX, header = 1) or feature number (GeoJSON, from 1)
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f", ligne {self.line}" if self.line is not None else "")
        return f"{self.level} — {where}, champ « {self.field} » : {self.reason}"


@dataclass
class ImportReport:
    file: str
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. created / updated / unchanged
    changes: list[str] = field(default_factory=list)  # human-readable differences applied
    written: bool = False

    def error(self, line: int | None, field_name: str, reason: str) -> None:
        self.problems.append(Problem(ERROR, self.file, line, field_name, reason))

    def warning(self, line: int | None, field_name: str, reason: str) -> None:
        self.problems.append(Problem(WARNING, self.file, line, field_name, reason))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems]
        if self.counts:
            out.append(", ".join(f"{k} : {v}" for k, v in self.counts.items()))
        out.extend(self.changes)
        return out


def atomic_import(
    report: ImportReport, write: Callable[[ImportReport], None], dry_run: bool = False
) -> ImportReport:
    """Run ``write(report)`` in one transaction, only if the report has no error and not a dry run.

    If ``write`` itself records an error, everything it did is rolled back.
    """
    if not report.ok or dry_run:
        return report

    class _Abort(Exception):
        pass

    try:
        with transaction.atomic():
            write(report)
            if not report.ok:
                raise _Abort
    except _Abort:
        report.written = False
        return report
    report.written = True
    return report
