"""Resolve any commune code (current, delegated, associated, arrondissement, former) to a commune.

Programme lists were drawn on older vintages of the COG: a code may now be a commune déléguée or
associée, a Paris/Lyon/Marseille arrondissement, a former code of a commune nouvelle, or a commune
that vanished from a later vintage (kept ``obsolete`` by the loader). ``resolve_commune`` gives the
current commune whenever one exists, following chains (a code attached to a commune that itself
became obsolete and was attached to another), and the obsolete commune itself otherwise.
"""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from ..models import CodeCommune, Commune

_MAX_HOPS = 10  # chains of mergers across vintages are short; this only guards against cycles

# When one code designates several communes (a commune split between two successors), prefer a
# still-published attachment, then the closest relation.
_NATURE_ORDER = Case(
    When(nature=CodeCommune.Nature.DELEGUEE, then=Value(0)),
    When(nature=CodeCommune.Nature.ASSOCIEE, then=Value(1)),
    When(nature=CodeCommune.Nature.ARRONDISSEMENT, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def clean_code(code: object) -> str:
    """An INSEE code as typed or exported: trimmed, upper-case (2A/2B), a lost leading zero restored
    (``1001`` read as a number by a spreadsheet → ``01001``)."""
    value = str(code if code is not None else "").strip().upper()
    if value.isdigit() and len(value) == 4:
        value = "0" + value
    return value


def resolve_commune(code: object) -> Commune | None:
    """The current commune ``code`` designates; the obsolete commune if it has no successor;
    ``None`` if the code is unknown. One query for a current code."""
    code = clean_code(code)
    communes = Commune.objects.select_related("departement", "region", "epci")
    fallback: Commune | None = None
    seen: set[str] = set()
    while code and code not in seen and len(seen) < _MAX_HOPS:
        seen.add(code)
        commune = communes.filter(code=code).first()
        if commune is not None and not commune.obsolete:
            return commune
        if fallback is None:
            fallback = commune
        alias = (
            CodeCommune.objects.filter(code=code)
            .exclude(commune_id__in=seen)
            .select_related("commune", "commune__departement", "commune__region", "commune__epci")
            .order_by("commune__obsolete", "obsolete", _NATURE_ORDER, "commune_id")
            .first()
        )
        if alias is None:
            break
        if not alias.commune.obsolete:
            return alias.commune
        if fallback is None:
            fallback = alias.commune
        code = alias.commune_id  # the successor itself vanished: follow the chain
    return fallback
