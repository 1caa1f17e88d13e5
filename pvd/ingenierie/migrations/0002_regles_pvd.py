"""Seed the PVD co-financing rules (the programme is got or created by its slug "pvd", with the
same values as ``programmes.factories.programme_pvd`` and the programmes' own data migration)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

PVD_REGLES = {
    "taux_total": Decimal("0.75"),
    "plafond_total": Decimal("45000"),
    "plafond_total_anah": Decimal("55000"),
    "taux_anah": Decimal("0.50"),
    "plafond_anah": Decimal("40000"),
    "taux_bdt": Decimal("0.25"),
    "plafond_bdt": Decimal("15000"),
}


def seed(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Regle = apps.get_model("ingenierie", "RegleCofinancement")
    programme, _ = Programme.objects.get_or_create(
        slug="pvd",
        defaults={
            "nom": "Petites villes de demain",
            "date_lancement": dt.date(2020, 10, 1),
            "date_fin": dt.date(2026, 12, 31),
            "plafond_population": 20_000,
        },
    )
    for code, valeur in PVD_REGLES.items():
        Regle.objects.get_or_create(programme=programme, code=code, defaults={"valeur": valeur})


def unseed(apps, schema_editor):
    Regle = apps.get_model("ingenierie", "RegleCofinancement")
    Regle.objects.filter(programme__slug="pvd", code__in=list(PVD_REGLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingenierie", "0001_initial"),
        ("programmes", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
