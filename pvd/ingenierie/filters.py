"""Filters of the post, request and envelope lists (django-filter)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from pvd.core.forms import DsfrForm
from pvd.territoires.models import Departement, Region

from .models import Cofinancement, Enveloppe, PosteChefDeProjet


def annee_courante() -> int:
    return timezone.localdate().year


def dans_trois_mois(today: dt.date) -> dt.date:
    month = today.month + 3
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for day in (today.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


class PosteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Recherche (territoire, chef de projet)", method="filter_q")
    region = django_filters.ModelChoiceFilter(
        label="Région", field_name="laureats__region", queryset=Region.objects.current(), distinct=True
    )
    departement = django_filters.ModelChoiceFilter(
        label="Département",
        field_name="laureats__departement",
        queryset=Departement.objects.current(),
        distinct=True,
    )
    etat = django_filters.ChoiceFilter(label="État", choices=PosteChefDeProjet.Etat.choices)
    vacant = django_filters.BooleanFilter(
        label="Vacant ou à pourvoir", method="filter_vacant", widget=forms.CheckboxInput
    )
    sans_cofinancement = django_filters.BooleanFilter(
        label="Sans demande de cofinancement pour l'année",
        method="filter_sans_cofinancement",
        widget=forms.CheckboxInput,
    )
    fin_contrat = django_filters.BooleanFilter(
        label="Contrat se terminant dans les 3 mois", method="filter_fin_contrat", widget=forms.CheckboxInput
    )

    class Meta:
        model = PosteChefDeProjet
        form = DsfrForm
        fields = ["q", "region", "departement", "etat"]

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(laureats__nom__icontains=value)
            | Q(titulaire_nom__icontains=value)
            | Q(laureats__identifiant=value)
        ).distinct()

    def filter_vacant(self, qs, name, value):
        return qs.vacants() if value else qs

    def annee(self) -> int:
        """The year the list is about (``?annee=``, default: this year)."""
        try:
            return int(self.data.get("annee") or annee_courante())
        except (TypeError, ValueError):
            return annee_courante()

    def filter_sans_cofinancement(self, qs, name, value):
        if not value:
            return qs
        return qs.sans_cofinancement(self.annee()).exclude(etat=PosteChefDeProjet.Etat.SUPPRIME)

    def filter_fin_contrat(self, qs, name, value):
        if not value:
            return qs
        today = timezone.localdate()
        return qs.contrat_finissant(dans_trois_mois(today), depuis=today)


class CofinancementFilter(django_filters.FilterSet):
    annee = django_filters.NumberFilter(label="Année")
    etat = django_filters.ChoiceFilter(label="État", choices=Cofinancement.Etat.choices)
    region = django_filters.ModelChoiceFilter(label="Région", queryset=Region.objects.current())
    departement = django_filters.ModelChoiceFilter(
        label="Département", queryset=Departement.objects.current()
    )

    class Meta:
        model = Cofinancement
        form = DsfrForm
        fields = ["annee", "etat", "region", "departement"]


class EnveloppeFilter(django_filters.FilterSet):
    annee = django_filters.NumberFilter(label="Année")
    region = django_filters.ModelChoiceFilter(label="Région", queryset=Region.objects.current())

    class Meta:
        model = Enveloppe
        form = DsfrForm
        fields = ["annee", "region"]
