"""Another programme configured by an administrator in the Django admin, without new code."""

import datetime as dt

import pytest
from django.urls import reverse

from pvd.comptes.models import User
from pvd.programmes.factories import make_laureat
from pvd.programmes.models import Programme

pytestmark = pytest.mark.django_db


def test_admin_creates_a_programme_with_milestone_rules(client):
    admin = User.objects.create_superuser("root@example.fr", "mot-de-passe-long-123")
    client.force_login(admin)
    prefix = "types_jalons"
    data = {
        "nom": "Villages d'avenir",
        "slug": "villages-avenir",
        "description": "Programme pour les communes rurales.",
        "date_lancement": "2023-09-01",
        "date_fin": "2026-12-31",
        "plafond_population": "3500",
        "prefixe_identifiant": "va-",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-ordre": "1",
        f"{prefix}-0-code": "convention",
        f"{prefix}-0-libelle": "Convention Villages d'avenir",
        f"{prefix}-0-statut_atteint": "adhesion",
        f"{prefix}-1-ordre": "2",
        f"{prefix}-1-code": "plan-action",
        f"{prefix}-1-libelle": "Plan d'action",
        f"{prefix}-1-date_limite": "2025-06-30",
    }
    response = client.post(reverse("admin:programmes_programme_add"), data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    va = Programme.objects.get(slug="villages-avenir")
    types = {t.code: t for t in va.types_jalons.all()}
    assert set(types) == {"convention", "plan-action"}

    # A rule relative to another milestone, added afterwards: 6 months after the convention.
    change = {
        **data,
        f"{prefix}-TOTAL_FORMS": "3",
        f"{prefix}-INITIAL_FORMS": "2",
        f"{prefix}-0-id": str(types["convention"].pk),
        f"{prefix}-0-programme": str(va.pk),
        f"{prefix}-1-id": str(types["plan-action"].pk),
        f"{prefix}-1-programme": str(va.pk),
        f"{prefix}-2-ordre": "3",
        f"{prefix}-2-code": "comite",
        f"{prefix}-2-libelle": "Premier comité de pilotage",
        f"{prefix}-2-reference": str(types["convention"].pk),
        f"{prefix}-2-delai_mois": "6",
    }
    laureat = make_laureat("21603", programme=va, identifiant="va-21-1", adhesion=dt.date(2024, 1, 31))
    response = client.post(reverse("admin:programmes_programme_change", args=[va.pk]), change)
    assert response.status_code == 302, response.content.decode()[-3000:]
    jalons = {j.type.code: j for j in laureat.jalons.select_related("type")}
    assert jalons["convention"].date_realisation == dt.date(2024, 1, 31)
    assert jalons["plan-action"].date_echeance == dt.date(2025, 6, 30)
    assert jalons["comite"].date_echeance == dt.date(2024, 7, 31)  # created for existing laureates
    laureat.refresh_from_db()
    assert laureat.statut == "adhesion"

    # Its pages work like PVD's, with its own ceiling and rules.
    page = client.get(reverse("programmes:programme", args=["villages-avenir"])).content.decode()
    assert "Villages d&#x27;avenir" in page and "6 mois après « Convention Villages d&#x27;avenir »" in page
    assert "moins de 3" in page
    assert client.get(laureat.get_absolute_url()).status_code == 200


def test_programme_parameters_are_validated():
    from django.core.exceptions import ValidationError

    programme = Programme(
        nom="X", slug="laureats", date_lancement=dt.date(2024, 1, 1), date_fin=dt.date(2023, 1, 1)
    )
    with pytest.raises(ValidationError) as exc:
        programme.full_clean()
    assert set(exc.value.message_dict) == {"slug", "date_fin"}
    pvd = Programme.objects.get(slug="pvd")
    pvd.date_fin_prolongee = dt.date(2028, 12, 31)
    pvd.full_clean()
    assert pvd.date_fin_effective == dt.date(2028, 12, 31)
