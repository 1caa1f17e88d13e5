"""``Commune.resolve``: any code from any vintage → the current commune, on the real referential."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pvd.territoires.models import CodeCommune, Commune
from pvd.territoires.services.resolve import clean_code

pytestmark = [pytest.mark.django_db, pytest.mark.referentiel]


def test_current_code_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        montbard = Commune.resolve("21425")
        # département, région and EPCI come with it
        assert (montbard.nom, montbard.departement.nom, montbard.region.code) == (
            "Montbard",
            "Côte-d'Or",
            "27",
        )
        assert montbard.epci is not None


@pytest.mark.parametrize(
    ("code", "expected", "nom"),
    [
        ("01039", "01138", "Culoz-Béon"),  # commune déléguée Béon, code ≠ its chef-lieu's
        ("01015", "01015", "Arboys en Bugey"),  # commune déléguée sharing its chef-lieu's code
        ("01120", "01262", "Montluel"),  # commune associée Cordieux
        ("75101", "75056", "Paris"),  # arrondissement municipal
        ("69381", "69123", "Lyon"),
        ("13201", "13055", "Marseille"),
        ("01340", "01015", "Arboys en Bugey"),  # anciensCodes entry
        ("20004", "2A004", "Ajaccio"),  # pre-1976 Corsican code
        ("01218", "01453", "Arvière-en-Valromey"),
    ],
)
def test_historical_and_attached_codes_give_the_current_commune(
    code, expected, nom, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        commune = Commune.resolve(code)
    assert (commune.code, commune.nom, commune.obsolete) == (expected, nom, False)


def test_the_resolved_code_is_really_attached_in_the_data():
    # guards the parametrised examples above against a wrong reading of the package
    assert CodeCommune.objects.get(code="01039", nature="deleguee").commune_id == "01138"
    assert CodeCommune.objects.get(code="01120", nature="associee").commune_id == "01262"
    assert CodeCommune.objects.filter(code="75101", nature="arrondissement", commune_id="75056").exists()
    assert not Commune.objects.filter(code__in=["01039", "01120", "75101", "01340"]).exists()


@pytest.mark.parametrize("code", ["99999", "", "   ", None, "ABCDE", "0100"])
def test_unknown_codes_give_none(code):
    assert Commune.resolve(code) is None


def test_codes_as_typed_in_spreadsheets():
    assert Commune.resolve(" 1001 ").code == "01001"  # leading zero lost by a spreadsheet
    assert Commune.resolve(1001).code == "01001"
    assert Commune.resolve("2a004").nom == "Ajaccio"


def test_a_code_attached_to_two_communes_resolves_deterministically():
    # 55273 (Lamarche-en-Woëvre) is an associated commune of 55386 and a former code of 55245
    assert set(CodeCommune.objects.filter(code="55273").values_list("commune_id", flat=True)) == {
        "55245",
        "55386",
    }
    assert Commune.resolve("55273").code == "55386"  # the commune associée relation wins


def test_a_vanished_commune_without_successor_is_still_resolvable():
    Commune.objects.filter(code="21001").update(obsolete=True)
    commune = Commune.resolve("21001")
    assert commune.code == "21001" and commune.obsolete


def test_a_vanished_commune_with_a_successor_gives_the_successor():
    # Béon's chef-lieu Culoz-Béon merges later into Arvière-en-Valromey: 01039 → 01138 → 01453
    Commune.objects.filter(code="01138").update(obsolete=True)
    CodeCommune.objects.create(
        code="01138", nature=CodeCommune.Nature.DELEGUEE, commune_id="01453", nom="Culoz-Béon"
    )
    assert Commune.resolve("01138").code == "01453"
    assert Commune.resolve("01039").code == "01453"  # the chain is followed


def test_a_chain_ending_on_an_obsolete_commune_gives_it_and_cycles_stop():
    Commune.objects.filter(code__in=["01138", "01453"]).update(obsolete=True)
    CodeCommune.objects.create(code="01138", nature=CodeCommune.Nature.ANCIEN, commune_id="01453")
    CodeCommune.objects.create(code="01453", nature=CodeCommune.Nature.ANCIEN, commune_id="01138")
    resolved = Commune.resolve("01039")
    assert resolved.code == "01138" and resolved.obsolete


def test_obsolete_attachments_come_after_current_ones():
    CodeCommune.objects.filter(code="01039").update(obsolete=True)
    CodeCommune.objects.create(code="01039", nature=CodeCommune.Nature.ANCIEN, commune_id="01004")
    assert Commune.resolve("01039").code == "01004"


@given(st.from_regex(r"\A[0-9]{4}\Z"))
def test_clean_code_restores_a_lost_leading_zero(digits):
    assert clean_code(digits) == "0" + digits
    assert clean_code(clean_code(digits)) == clean_code(digits)


@given(st.text(max_size=8))
def test_clean_code_is_idempotent_and_trimmed(value):
    cleaned = clean_code(value)
    assert clean_code(cleaned) == cleaned
    assert cleaned == cleaned.strip()
