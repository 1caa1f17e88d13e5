"""Commune search over the real referential (loaded once per session by the root conftest)."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pvd.core.text import normalize_name
from pvd.territoires.models import CodeCommune, Commune
from pvd.territoires.services import search, search_index
from pvd.territoires.services.search import MAX_LIMIT, Match, search_communes, search_hits

pytestmark = pytest.mark.django_db


def codes(query, limit=20, **kwargs):
    return [c.code for c in search_communes(query, limit=limit, **kwargs)]


# --- The examples of the issue ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("chateau chinon", "58062"),  # Château-Chinon (Ville), before (Campagne)
        ("st etienne", "42218"),  # Saint-Étienne
        ("L'Isle sur la Sorgue", "84054"),
        ("21425", "21425"),  # Montbard by INSEE code
        ("21500", "21425"),  # Montbard, the largest commune with that postal code
    ],
)
def test_issue_examples_come_first(query, first):
    assert codes(query)[0] == first


def test_chateau_chinon_lists_ville_then_campagne():
    assert codes("chateau chinon")[:2] == ["58062", "58063"]


def test_postal_code_finds_every_commune_with_it_plus_the_insee_homonym():
    expected = set(
        Commune.objects.filter(obsolete=False, codes_postaux__contains="21500").values_list("code", flat=True)
    )
    assert len(expected) == 29  # Montbard and 28 communes around it (COG 2026)
    hits = search_hits("21500", limit=MAX_LIMIT)
    found = {h.commune.code for h in hits}
    # "21500" is also the INSEE code of Pouillenay (postal code 21150): an exact identifier too.
    assert found == expected | {"21500"}
    matches = {h.commune.code: h.match for h in hits}
    assert matches["21425"] == Match.POSTAL
    assert matches["21500"] == Match.INSEE
    populations = [h.commune.population for h in hits]
    assert populations == sorted(populations, reverse=True)


# --- Insensitivity: case, accents, hyphens/apostrophes, Saint/St/Ste --------------------------
@pytest.mark.parametrize(
    "query",
    [
        "Saint-Étienne",
        "SAINT-ETIENNE",
        "saint étienne",
        "St-Étienne",
        "st. etienne",
        "ST ETIENNE",
        "  saint   etienne  ",
        "saint_etienne",
    ],
)
def test_saint_etienne_variants(query):
    hit = search_hits(query)[0]
    assert (hit.commune.code, hit.rank, hit.match) == ("42218", 0, Match.NOM)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("CHÂTEAU-CHINON (VILLE)", "58062"),
        ("chateau-chinon ville", "58062"),
        ("l isle sur la sorgue", "84054"),
        ("L’Isle-sur-la-Sorgue", "84054"),  # typographic apostrophe
        ("ste marie aux mines", "68298"),  # Sainte-Marie-aux-Mines
        ("Sainte Marie aux Mines", "68298"),
        ("ile de brehat", "22016"),  # Île-de-Bréhat
        ("OUESSANT", "29155"),
        ("2a004", "2A004"),  # Ajaccio, Corsican INSEE code in lower case
        ("2B033", "2B033"),  # Bastia
        ("montbard (21425)", "21425"),  # "Nom (INSEE)" as in the ANCT's liste_geo
        ("montbard 21500", "21425"),
    ],
)
def test_variants_find_the_commune_first(query, code):
    assert codes(query)[0] == code


def test_numbers_that_narrow_nothing_are_ignored(django_assert_max_num_queries):
    # "15" is a département (Cantal) without any Paris: the name alone is searched.
    with django_assert_max_num_queries(4):
        assert codes("paris 15")[0] == "75056"


def test_a_departement_code_next_to_a_name_narrows_homonyms():
    assert codes("saint denis 93")[0] == "93066"
    assert codes("saint denis 974")[0] == "97411"
    assert all(c.startswith("93") for c in codes("saint denis 93"))


# --- Ranking ------------------------------------------------------------------------------------
def test_exact_name_then_prefix_then_word_then_anywhere():
    hits = search_hits("montbard", limit=MAX_LIMIT)
    assert hits[0].commune.code == "21425" and hits[0].rank == 0
    ranks = [h.rank for h in hits]
    assert ranks == sorted(ranks)
    assert {h.commune.nom for h in hits if h.rank == 2} >= {"Fain-lès-Montbard", "Nogent-lès-Montbard"}


def test_within_a_rank_larger_communes_come_first():
    hits = search_hits("saint", limit=MAX_LIMIT)
    assert hits[0].commune.code == "42218"  # the most populated "Saint-…"
    for a, b in zip(hits, hits[1:], strict=False):
        assert (a.rank, -(a.commune.population or 0)) <= (b.rank, -(b.commune.population or 0))


def test_a_word_inside_the_name_is_found_after_names_starting_with_it():
    hits = search_hits("etienne", limit=MAX_LIMIT)
    assert hits[0].commune.code == "42218"
    assert hits[0].rank == 2  # "saint etienne": a word of the name starts with the query
    assert all(h.rank >= 2 or h.commune.nom_normalise.startswith("etienne") for h in hits)


def test_words_in_any_order():
    assert codes("sorgue isle")[0] == "84054"


def test_partial_postal_code_for_live_search():
    hits = search_hits("2150", limit=MAX_LIMIT)
    assert "21425" in {h.commune.code for h in hits}
    assert all(
        h.commune.code.startswith("2150") or any(cp.startswith("2150") for cp in h.commune.codes_postaux_list)
        for h in hits
    )


def test_code_of_a_commune_deleguee_leads_to_its_current_commune():
    alias = (
        CodeCommune.objects.filter(nature=CodeCommune.Nature.DELEGUEE, commune__obsolete=False)
        .exclude(code__in=Commune.objects.values("code"))
        .order_by("code")
        .first()
    )
    hits = search_hits(alias.code)
    assert [(h.commune.code, h.match) for h in hits] == [(alias.commune_id, Match.ALIAS)]


# --- Edges --------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["", "   ", "-", "'’", None])
def test_empty_query_gives_nothing(query, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert search_communes(query) == []


@pytest.mark.parametrize("query", ["xyzzyq", "99999", "qqq wvw", "saint xyzzyq"])
def test_no_result(query):
    assert search_communes(query) == []


def test_limit_is_respected_and_capped():
    assert len(search_communes("saint", limit=7)) == 7
    assert len(search_communes("saint", limit=10_000)) == MAX_LIMIT
    assert search_communes("saint", limit=0) == []


def test_only_current_communes():
    Commune.objects.filter(code="21425").update(obsolete=True)  # rolled back after the test
    assert "21425" not in codes("montbard")
    assert "21425" not in codes("21425")


def test_the_queryset_restricts_the_search():
    found = search_communes("saint", limit=50, queryset=Commune.objects.filter(departement_id="21"))
    assert found and all(c.departement_id == "21" for c in found)


def test_results_carry_rank_and_match():
    commune = search_communes("21425")[0]
    assert (commune.search_rank, commune.search_match) == (0, Match.INSEE)


@pytest.mark.parametrize("query", ["montbard", "saint", "21500", "21425", "saint denis 93", "2150"])
def test_query_count_is_bounded(query, django_assert_max_num_queries):
    search_hits("warm-up")  # the first search on a connection looks for the trigram table once
    with django_assert_max_num_queries(2):
        hits = search_hits(query, limit=MAX_LIMIT)
    with django_assert_max_num_queries(0):
        [h.commune.departement.nom for h in hits]  # select_related: no query per hit


# --- The trigram index (SQLite) ------------------------------------------------------------------
@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table exists on SQLite only")
def test_sqlite_searches_contains_through_the_trigram_table():
    assert search._has_fts()
    for query in ("sorgue isle", "21500"):
        with CaptureQueriesContext(connection) as ctx:
            search_hits(query)
        assert search.FTS_TABLE in ctx.captured_queries[-1]["sql"], query


def test_migration_0003_built_the_search_indexes_of_this_database():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "territoires_commune")
        assert constraints["commune_nom_prefix_idx"]["columns"] == ["nom_normalise"]
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE tbl_name = 'territoires_commune' AND type = 'trigger'"
            )
            triggers = {row[0] for row in cursor.fetchall()}
        assert triggers == {f"{search.FTS_TABLE}_{op}" for op in ("insert", "update", "delete")}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table exists on SQLite only")
def test_a_migration_that_drops_the_triggers_is_repaired_after_migrate():
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER territoires_commune_fts_delete")  # as a table remake would
    connection._pvd_commune_fts_ready = None
    assert not search_index.is_ready(connection)  # the search then scans: slower, still right
    assert codes("sorgue isle")[0] == "84054"
    search_index.ensure_after_migrate(sender=None, using="default")
    assert search_index.is_ready(connection)


@pytest.mark.parametrize(
    "query", ["montbard", "etienne", "sorgue isle", "fain les", "21500", "2150", "saint denis 93", "en"]
)
def test_same_results_with_and_without_the_trigram_index(query, monkeypatch):
    with_index = codes(query, limit=MAX_LIMIT)
    monkeypatch.setattr(search_index, "is_ready", lambda connection: False)
    assert codes(query, limit=MAX_LIMIT) == with_index


def test_the_index_follows_inserts_updates_and_deletes():
    """Whoever writes communes (the loader's bulk operations, the ORM), the search follows."""
    montbard = Commune.objects.get(code="21425")
    montbard.nom_normalise = "montbard les forges de buffon"
    montbard.codes_postaux = "21500 21999"
    montbard.save()
    assert codes("forges buffon") == ["21425"]
    assert codes("21999") == ["21425"]
    Commune.objects.filter(code="21425").update(nom_normalise="montbard", codes_postaux="21500")
    assert codes("forges buffon") == [] and codes("21999") == []
    Commune.objects.bulk_create(
        [
            Commune(
                code="21999",
                nom="Nouvelle-Commune-sur-Brenne",
                nom_normalise="nouvelle commune sur brenne",
                departement_id="21",
                region_id="27",
                population=10,
                codes_postaux="21998",
            )
        ]
    )
    assert codes("commune brenne") == ["21999"] and codes("21998") == ["21999"]
    Commune.objects.filter(code="21999").delete()
    assert codes("commune brenne") == [] and codes("21998") == []


# --- Property: any real commune name, however typed, is found with rank 0 -----------------------
_SAMPLE = None


def _sample_names():
    global _SAMPLE
    if _SAMPLE is None:
        names = list(Commune.objects.filter(obsolete=False).order_by("code").values_list("code", "nom"))
        _SAMPLE = random.Random(2026).sample(names, 300)
    return _SAMPLE


def _garble(name: str, draw) -> str:
    """Retype a name as a hurried user would: case, accents, hyphens, apostrophes, St/Ste."""
    from pvd.core.text import strip_accents

    text = name
    if draw(st.booleans()):
        text = strip_accents(text)
    text = text.replace("Sainte-", draw(st.sampled_from(["Sainte-", "Ste-", "ste ", "STE "])))
    text = text.replace("Saint-", draw(st.sampled_from(["Saint-", "St-", "st ", "ST "])))
    text = text.replace("-", draw(st.sampled_from(["-", " ", "  "])))
    text = text.replace("'", draw(st.sampled_from(["'", " ", "’"])))
    return draw(st.sampled_from([str.lower, str.upper, str.title, str]))(text)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_real_name_however_typed_is_found_exactly(data):
    code, nom = data.draw(st.sampled_from(_sample_names()))
    query = _garble(nom, data.draw)
    hits = search_hits(query, limit=MAX_LIMIT)
    exact = [h for h in hits if h.rank == 0]
    assert code in {h.commune.code for h in exact}, (query, nom)
    assert all(h.commune.nom_normalise == normalize_name(nom) for h in exact)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the trigram table exists on SQLite only")
def test_bulk_inserts_index_every_new_commune_and_restore_the_trigger():
    """The loader sets the per-row trigger aside for a big insert and indexes the rows at the end."""
    with search_index.bulk_inserts(connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = %s", [search_index.TRIGGERS[0]])
            assert cursor.fetchone()[0] == 0  # set aside during the block
        Commune.objects.bulk_create(
            [
                Commune(
                    code=f"2199{i}",
                    nom=f"Essai-en-Auxois {i}",
                    nom_normalise=f"essai en auxois {i}",
                    departement_id="21",
                    region_id="27",
                    codes_postaux=f"2198{i}",
                )
                for i in range(3)
            ]
        )
    connection._pvd_commune_fts_ready = None  # ask the database again, not the cache
    assert search_index.is_ready(connection)  # the trigger is back
    with connection.cursor() as cursor:
        cursor.execute(search_index._IN_STEP)
        assert cursor.fetchone()[0]  # one index row per commune, the referential's included
    assert codes("essai auxois 1") == ["21991"] and codes("21982") == ["21992"]
