"""Resolve any commune code (current, delegated, associated, former) to the current commune."""

from __future__ import annotations

from ..models import CodeCommune, Commune


def resolve_commune(code: str) -> Commune | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    commune = Commune.objects.select_related("departement", "region", "epci").filter(code=code).first()
    if commune is not None and not commune.obsolete:
        return commune
    alias = (
        CodeCommune.objects.select_related(
            "commune", "commune__departement", "commune__region", "commune__epci"
        )
        .filter(code=code, commune__obsolete=False)
        .order_by("obsolete")
        .first()
    )
    if alias is not None:
        return alias.commune
    return commune
