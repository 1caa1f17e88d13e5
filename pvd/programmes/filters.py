"""Filters of the laureate list, shared by the page, its CSV/XLSX export and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q

from pvd.territoires.models import Departement, Region

from .models import Jalon, Laureat, LaureatCommune, Programme
from .services import echeances

# Population bands of the main centrality (INSEE municipal population, current referential).
POPULATION_BANDS = {
    "moins-3500": ("Moins de 3 500 habitants", 0, 3_500),
    "3500-10000": ("De 3 500 à 9 999 habitants", 3_500, 10_000),
    "10000-20000": ("De 10 000 à 19 999 habitants", 10_000, 20_000),
    "20000-plus": ("20 000 habitants et plus", 20_000, None),
}


class _OuiNon(django_filters.widgets.BooleanWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = (("", "Tous"), ("true", "Oui"), ("false", "Non"))


class LaureatFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Nom ou identifiant", method="filter_q")
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(), to_field_name="slug", label="Programme", empty_label="Tous"
    )
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.current(), label="Région", empty_label="Toutes"
    )
    departement = django_filters.ModelChoiceFilter(
        queryset=Departement.objects.current(), label="Département", empty_label="Tous"
    )
    statut = django_filters.ChoiceFilter(choices=Laureat.Statut.choices, label="Statut", empty_label="Tous")
    jalon = django_filters.ChoiceFilter(
        label="Jalons",
        empty_label="Tous",
        choices=[("en_retard", "Au moins un jalon en retard"), ("proche", "Au moins une échéance proche")],
        method="filter_jalon",
    )
    population = django_filters.ChoiceFilter(
        label="Population de la centralité",
        empty_label="Toutes",
        choices=[(k, v[0]) for k, v in POPULATION_BANDS.items()],
        method="filter_population",
    )
    demo = django_filters.BooleanFilter(label="Données de démonstration", widget=_OuiNon)

    class Meta:
        model = Laureat
        fields = ["q", "programme", "region", "departement", "statut", "jalon", "population", "demo"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.form.fields.items():
            css = "fr-select" if hasattr(field.widget, "choices") else "fr-input"
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(nom__icontains=value) | Q(identifiant__icontains=value))

    def filter_jalon(self, queryset, name, value):
        q = echeances.overdue_q() if value == "en_retard" else echeances.soon_q()
        return queryset.filter(Exists(Jalon.objects.filter(q, laureat=OuterRef("pk"))))

    def filter_population(self, queryset, name, value):
        _, low, high = POPULATION_BANDS[value]
        cond = Q(commune__population__gte=low)
        if high is not None:
            cond &= Q(commune__population__lt=high)
        return queryset.filter(
            Exists(LaureatCommune.objects.filter(cond, laureat=OuterRef("pk"), principale=True))
        )
