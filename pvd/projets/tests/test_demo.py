"""Demo data (idempotent) and the national-scale generator (small run)."""

import io

from django.core.management import call_command

from pvd.programmes.factories import make_laureat
from pvd.programmes.models import Laureat
from pvd.projets.demo import generate_national, load_demo
from pvd.projets.models import FicheAction, Financement, ProjetDeTerritoire
from pvd.projets.services.financement import plan_de


def test_load_demo_is_idempotent_and_realistic(db):
    laureats = [make_laureat(code, demo=True) for code in ("21425", "59295")]
    load_demo(io.StringIO())
    counts = (ProjetDeTerritoire.objects.count(), FicheAction.objects.count(), Financement.objects.count())
    assert counts[0] == 2 and counts[1] >= 12 and counts[2] >= counts[1]
    load_demo(io.StringIO())
    assert (
        ProjetDeTerritoire.objects.count(),
        FicheAction.objects.count(),
        Financement.objects.count(),
    ) == counts
    fiche = FicheAction.objects.filter(projet__laureat=laureats[0]).first()
    assert fiche.themes.exists() and fiche.transitions.exists() and fiche.history.exists()
    assert plan_de(fiche).cout > 0


def test_load_demo_links_funders_to_partner_organisations(db):
    from pvd.comptes.models import Organisation
    from pvd.projets.models import Financeur

    anah = Organisation.objects.create(nom="Agence nationale de l'habitat", sigle="Anah")
    load_demo(io.StringIO())
    assert Financeur.objects.get(slug="anah").organisation == anah
    assert Financeur.objects.get(slug="etat").organisation is None


def test_setup_demo_runs_the_loader(db):
    laureat = make_laureat("21425", demo=True)
    call_command("setup_demo", stdout=io.StringIO())
    demo = Laureat.objects.filter(demo=True)
    assert demo.count() > 1  # the programmes demo list came first
    # every demo laureate, ours included, got exactly one project
    assert ProjetDeTerritoire.objects.filter(laureat__in=demo).count() == demo.count()
    assert ProjetDeTerritoire.objects.filter(laureat=laureat).count() == 1


def test_generator_creates_laureates_from_the_referential(db):
    make_laureat("21425", demo=True)
    real = make_laureat("59295")  # a real laureate never gets generated data
    out = io.StringIO()
    counts = generate_national(laureats=12, fiches=200, stdout=out)
    assert Laureat.objects.filter(demo=True).count() == 12
    assert Laureat.objects.filter(identifiant__startswith="nat-", demo=True).count() == 11
    assert not ProjetDeTerritoire.objects.filter(laureat=real).exists()
    assert counts["projets"] == 12
    assert 150 <= counts["fiches"] <= 250 and counts["financements"] >= 2.5 * counts["fiches"]
    assert generate_national(laureats=12, fiches=200, stdout=out) == {}  # nothing left to generate
    call_command("generate_national_dataset", "--laureats", "12", stdout=out)
    assert "rien à générer" in out.getvalue()
