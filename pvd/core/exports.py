"""CSV / XLSX exports of tabular data (tablib), shared by every list that can be exported.

Views pass rows already filtered by the access policy (``visible_to(user, qs, "export")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import tablib
from django.http import HttpResponse
from django.utils import timezone

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def build_dataset(headers: Sequence[str], rows: Iterable[Sequence], title: str = "export") -> tablib.Dataset:
    data = tablib.Dataset(headers=list(headers), title=title[:31])
    for row in rows:
        data.append(["" if value is None else value for value in row])
    return data


def export_response(
    headers: Sequence[str], rows: Iterable[Sequence], filename: str, fmt: str = "csv"
) -> HttpResponse:
    """An attachment in ``fmt`` (csv with a BOM for spreadsheet software, or xlsx)."""
    if fmt not in FORMATS:
        raise ValueError(f"Format d'export inconnu : {fmt!r} (csv ou xlsx)")
    data = build_dataset(headers, rows, title=filename)
    content = ("\ufeff" + data.export("csv")).encode("utf-8") if fmt == "csv" else data.export("xlsx")
    stamp = timezone.localdate().isoformat()
    response = HttpResponse(content, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.{fmt}"'
    return response
