"""The demo loader: nothing without demo laureates; posts, requests and envelopes otherwise; idempotent."""

from __future__ import annotations

import io

import pytest

from pvd.comptes.models import User
from pvd.core.management.commands.setup_demo import DEMO_EMAIL
from pvd.ingenierie.demo import load_demo
from pvd.ingenierie.models import Cofinancement, Enveloppe, PosteChefDeProjet, Versement
from pvd.programmes.factories import make_laureat

pytestmark = pytest.mark.django_db

COMMUNES = [
    "21425",
    "21603",
    "21154",
    "21038",
    "71014",
    "71106",
    "58194",
    "89387",
    "22093",
    "35236",
    "29046",
    "56078",
]


def test_sans_laureat_de_demo_rien_n_est_cree(pvd):
    out = io.StringIO()
    load_demo(out)
    assert "aucun lauréat de démonstration" in out.getvalue()
    assert not PosteChefDeProjet.objects.exists()


def test_demo_idempotente(pvd):
    User.objects.create_superuser(email=DEMO_EMAIL, password="x-Secret-123")
    for code in COMMUNES:
        make_laureat(code, demo=True)
    out = io.StringIO()
    load_demo(out)
    counts = (
        PosteChefDeProjet.objects.count(),
        Cofinancement.objects.count(),
        Enveloppe.objects.count(),
        Versement.objects.count(),
    )
    assert counts[0] >= 10 and counts[1] >= 5 and counts[2] == 2  # BFC and Bretagne
    assert set(Cofinancement.objects.values_list("etat", flat=True)) >= {"deposee", "instruite", "accordee"}
    assert PosteChefDeProjet.objects.filter(parts__isnull=False).distinct().count() == counts[0]
    assert any(p.est_partage() for p in PosteChefDeProjet.objects.prefetch_related("parts"))
    load_demo(io.StringIO())
    assert (
        PosteChefDeProjet.objects.count(),
        Cofinancement.objects.count(),
        Enveloppe.objects.count(),
        Versement.objects.count(),
    ) == counts
