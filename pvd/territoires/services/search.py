"""Commune search: by name, INSEE code or postal code.

Insensitive to case, accents, hyphens/apostrophes and "Saint"/"St"/"Ste": the query goes through
``pvd.core.text.normalize_name``, the same function that fills ``Commune.nom_normalise`` at load
time, so both sides compare equal.

Ranking (``SearchHit.rank``, lower is better), then larger communes first, then name:

0. exact name, or exact INSEE code / postal code (a postal code and an INSEE code are both exact
   identifiers; "21500" is Montbard's postal code *and* Pouillenay's INSEE code: both are exact,
   the larger commune comes first);
1. name starting with the query (``chateau chinon`` → Château-Chinon (Ville)); the code of a
   commune déléguée/associée or a former code, pointing to its current commune;
2. a word of the name starting with the query (``etienne`` → Saint-Étienne);
3. every word of the query found somewhere in the name (``isle sorgue``).

Only current communes are returned. Words that look like codes mixed with a name narrow the
search: ``saint denis 93`` (département), ``montbard 21500`` (postal code), ``Montbard (21425)``
(INSEE code, as in the ANCT's ``liste_geo``); when they narrow to nothing (``paris 15``), the
name alone is searched.

Cost (see migration 0003): exact and prefix matches use the index on ``nom_normalise`` (a range
on SQLite, whose ``LIKE`` cannot use a binary index; ``LIKE 'x%'`` with a ``varchar_pattern_ops``
index on PostgreSQL). The "contains" pass only runs when the prefix pass did not fill ``limit``;
on SQLite it and the postal codes go through the FTS5 trigram table ``territoires_commune_fts``
(every 3-character substring indexed; words of 1 or 2 characters are then checked on the few
candidates); on PostgreSQL, or without that table, they scan the communes (``LIKE '%x%'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL

from pvd.core.text import normalize_name

from ..models import CodeCommune, Commune
from . import search_index

MAX_LIMIT = 100
_INSEE = re.compile(r"^(?:\d{5}|2[ab]\d{3})$")
_DEPARTEMENT = re.compile(r"^(?:\d{2,3}|2[ab])$")
_DIGITS = re.compile(r"^\d{2,4}$")
# Larger than any character a normalised name holds ([a-z0-9 ]): "x" <= name < "x" + _HIGH
# selects the names starting with "x" under a binary collation.
_HIGH = "\uffff"
FTS_TABLE = search_index.FTS_TABLE
_TRIGRAM = 3  # shortest substring the trigram index can find


class Match:
    NOM = "nom"
    INSEE = "code INSEE"
    POSTAL = "code postal"
    ALIAS = "code rattaché"


@dataclass(frozen=True)
class SearchHit:
    commune: Commune
    rank: int
    match: str  # what matched: see ``Match``


def _order(qs: QuerySet) -> QuerySet:
    return qs.order_by("_rank", F("population").desc(nulls_last=True), "nom_normalise", "code")


def _starts_with(field: str, prefix: str) -> Q:
    q = Q(**{f"{field}__startswith": prefix})
    if connection.vendor == "sqlite":
        # SQLite's LIKE is case-insensitive and cannot use a binary index; a range can.
        q &= Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _HIGH})
    return q


def _has_fts() -> bool:
    """May this search use the SQLite trigram index? (See ``search_index``.)"""
    return search_index.is_ready(connection)


def _fts_codes(column: str, terms: list[str]) -> RawSQL:
    """Codes of the communes whose ``column`` contains every term (all of 3 characters or more).

    Terms are normalised ([a-z0-9]) so quoting them as FTS5 strings is safe.
    """
    query = f"{column}: (" + " AND ".join(f'"{term}"' for term in terms) + ")"
    sql = f"SELECT code FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608 (constant table name)
    return RawSQL(sql, [query])  # noqa: S611 (the query is a bound parameter)


def _contains_all(field: str, terms: list[str]) -> Q:
    """Rows whose ``field`` contains every term; through the trigram index when possible."""
    q = Q()
    for term in terms:
        q &= Q(**{f"{field}__contains": term})
    indexable = [term for term in terms if len(term) >= _TRIGRAM]
    if indexable and _has_fts():
        q &= Q(pk__in=_fts_codes(field, indexable))
    return q


def _code_hits(base: QuerySet, code: str, limit: int) -> list[SearchHit]:
    """A full INSEE/postal code: exact matches, then communes déléguées/anciens codes."""
    code = code.upper()
    # Codes of communes déléguées/associées and former codes (indexed), fetched first so that
    # every branch of the main query's OR is an index lookup (the postal code via the trigram
    # index on SQLite).
    aliases = list(CodeCommune.objects.filter(code=code).values_list("commune_id", flat=True).distinct())
    qs = base.filter(Q(pk=code) | _contains_all("codes_postaux", [code]) | Q(pk__in=aliases)).annotate(
        _rank=Case(
            When(Q(pk=code) | Q(codes_postaux__contains=code), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    hits = []
    for commune in _order(qs)[:limit]:
        if commune.pk == code:
            match = Match.INSEE
        elif code in commune.codes_postaux_list:
            match = Match.POSTAL
        else:
            match = Match.ALIAS
        hits.append(SearchHit(commune, commune._rank, match))
    return hits


def _partial_code_hits(base: QuerySet, digits: str, limit: int) -> list[SearchHit]:
    """The beginning of a code (2 to 4 digits), as typed in a live search box."""
    postal = _contains_all("codes_postaux", [digits]) & (
        Q(codes_postaux__startswith=digits) | Q(codes_postaux__contains=" " + digits)
    )
    qs = base.filter(_starts_with("code", digits) | postal).annotate(
        _rank=Value(1, output_field=IntegerField())
    )
    hits = []
    for commune in _order(qs)[:limit]:
        postal = any(cp.startswith(digits) for cp in commune.codes_postaux_list)
        hits.append(SearchHit(commune, 1, Match.POSTAL if postal else Match.INSEE))
    return hits


def _narrowing(codes: list[str]) -> Q:
    """Code-like words typed next to a name restrict the communes searched."""
    q = Q()
    for token in codes:
        token = token.upper()
        if len(token) == 5:
            q &= Q(pk=token) | _contains_all("codes_postaux", [token])
        else:
            q &= Q(departement_id=token)
    return q


def search_hits(query: str, limit: int = 20, queryset: QuerySet | None = None) -> list[SearchHit]:
    """Ranked hits for ``query`` (see the module docstring) among ``queryset``'s current communes."""
    limit = max(0, min(int(limit), MAX_LIMIT))
    base = (queryset if queryset is not None else Commune.objects.all()).filter(obsolete=False)
    base = base.select_related("departement")
    normalised = normalize_name(query or "")
    if not normalised or not limit:
        return []
    compact = normalised.replace(" ", "")
    if _INSEE.match(compact):
        return _code_hits(base, compact, limit)
    if _DIGITS.match(compact):
        return _partial_code_hits(base, compact, limit)

    words, codes = [], []
    for token in normalised.split():
        (codes if _INSEE.match(token) or _DEPARTEMENT.match(token) else words).append(token)
    if not words:  # several codes and nothing else: treat as a name (numbers are rare in names)
        words, codes = normalised.split(), []
    hits = _name_hits(base.filter(_narrowing(codes)), words, limit)
    if not hits and codes:
        # The numbers were not a département or a code of this commune ("paris 15"): the name alone.
        hits = _name_hits(base, words, limit)
    return hits


def _name_hits(base: QuerySet, words: list[str], limit: int) -> list[SearchHit]:
    name = " ".join(words)
    # Pass 1 (indexed): exact name, then names starting with the query.
    prefix = base.filter(_starts_with("nom_normalise", name)).annotate(
        _rank=Case(When(nom_normalise=name, then=Value(0)), default=Value(1), output_field=IntegerField())
    )
    hits = [SearchHit(c, c._rank, Match.NOM) for c in _order(prefix)[:limit]]
    if len(hits) >= limit:
        return hits

    # Pass 2 (trigram index on SQLite, else scan): every word somewhere in the name. Pass 1
    # returned every prefix match (fewer than ``limit``): they are excluded by key.
    rest = (
        base.filter(_contains_all("nom_normalise", words))
        .exclude(pk__in=[hit.commune.pk for hit in hits])
        .annotate(
            _rank=Case(
                When(nom_normalise__contains=" " + name, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            )
        )
    )
    hits += [SearchHit(c, c._rank, Match.NOM) for c in _order(rest)[: limit - len(hits)]]
    return hits


def search_communes(query: str, limit: int = 20, queryset: QuerySet | None = None) -> list[Commune]:
    """Current communes matching ``query`` (name, INSEE code or postal code), best first.

    ``queryset`` restricts the communes searched (callers pass ``visible_to(user, Commune)``);
    each commune returned carries ``search_rank`` and ``search_match`` (what matched).
    """
    communes = []
    for hit in search_hits(query, limit=limit, queryset=queryset):
        hit.commune.search_rank = hit.rank
        hit.commune.search_match = hit.match
        communes.append(hit.commune)
    return communes
