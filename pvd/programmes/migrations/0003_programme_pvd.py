"""Data migration: the programme « Petites villes de demain » and its milestone types."""

import datetime as dt

from django.db import migrations


def create_pvd(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    TypeJalon = apps.get_model("programmes", "TypeJalon")
    pvd, _ = Programme.objects.get_or_create(
        slug="pvd",
        defaults={
            "nom": "Petites villes de demain",
            "date_lancement": dt.date(2020, 10, 1),
            "date_fin": dt.date(2026, 12, 31),
            "plafond_population": 20_000,
        },
    )
    pvd.description = pvd.description or (
        "Programme de l'État piloté par l'ANCT, lancé le 1er octobre 2020, pour les communes de "
        "moins de 20 000 habitants exerçant des fonctions de centralité et leur intercommunalité."
    )
    pvd.prolongeable = True
    pvd.prefixe_identifiant = "pvd-"
    pvd.save()
    adhesion, _ = TypeJalon.objects.get_or_create(
        programme=pvd,
        code="adhesion",
        defaults={"libelle": "Convention d'adhésion", "ordre": 1, "statut_atteint": "adhesion"},
    )
    TypeJalon.objects.get_or_create(
        programme=pvd,
        code="ort",
        defaults={
            "libelle": "Convention-cadre valant ORT",
            "ordre": 2,
            "reference": adhesion,
            "delai_mois": 18,
            "statut_atteint": "ort",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("programmes", "0002_parametres_jalons")]

    operations = [migrations.RunPython(create_pvd, migrations.RunPython.noop)]
