"""Filters of the action lists (pages, exports and API share them)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from pvd.core.forms import DsfrFormMixin
from pvd.territoires.models import Departement, Region

from .models import Dispositif, FicheAction, Financement, Financeur, Statut, Theme
from .rules import en_retard_q


class _FilterForm(DsfrFormMixin, forms.Form):
    pass


class FastSelect(forms.Select):
    """A single-choice select rendered in one pass (Django renders one sub-template per option:
    ~200 ms for the ~300 options of this filter form, measured; this takes ~1 ms)."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if isinstance(value, list | tuple):
            value = value[0] if value else None
        selected = (
            {None: "", True: "true", False: "false"}.get(value, str(value))
            if not isinstance(value, str)
            else value
        )
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) == selected else "", label)  # noqa: S308
                for v, label in self._choices_list()
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final), options)

    def _choices_list(self):
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):  # optgroup: flatten
                yield from option_label
            else:
                yield (
                    ("" if option_value is None else getattr(option_value, "value", option_value)),
                    option_label,
                )


class FicheActionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Recherche", method="filter_q")
    region = django_filters.ModelChoiceFilter(
        label="Région",
        field_name="projet__laureat__region",
        queryset=Region.objects.current().only("code", "nom"),
        widget=FastSelect,
    )
    departement = django_filters.ModelChoiceFilter(
        label="Département",
        field_name="projet__laureat__departement",
        queryset=Departement.objects.current().only("code", "nom"),
        widget=FastSelect,
    )
    laureat = django_filters.CharFilter(
        label="Lauréat (identifiant)", field_name="projet__laureat__identifiant", lookup_expr="iexact"
    )
    theme = django_filters.ModelChoiceFilter(
        label="Thème", field_name="themes", queryset=Theme.objects.only("id", "nom"), widget=FastSelect
    )
    statut = django_filters.ChoiceFilter(label="Statut", choices=Statut.choices, widget=FastSelect)
    financeur = django_filters.ModelChoiceFilter(
        label="Financeur",
        queryset=Financeur.objects.only("id", "nom", "sigle"),
        method="filter_financement",
        widget=FastSelect,
    )
    dispositif = django_filters.ModelChoiceFilter(
        label="Dispositif",
        queryset=Dispositif.objects.only("id", "nom", "sigle"),
        method="filter_financement",
        widget=FastSelect,
    )
    annee = django_filters.NumberFilter(label="Année", method="filter_annee", min_value=2000, max_value=2100)
    en_retard = django_filters.BooleanFilter(
        label="En retard",
        method="filter_en_retard",
        widget=FastSelect(choices=[("", "Indifférent"), ("true", "Oui"), ("false", "Non")]),
    )

    class Meta:
        model = FicheAction
        fields: list[str] = []
        form = _FilterForm

    def filter_q(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(titre__icontains=value) | Q(numero__iexact=value) | Q(description__icontains=value)
        )

    def filter_financement(self, qs, name, value):
        # A sub-query keeps one row per action even when several lines match.
        lines = Financement.objects.filter(**{name: value}).values("fiche_id")
        return qs.filter(pk__in=lines)

    def filter_annee(self, qs, name, value):
        """Actions whose planned period covers the year (start in or before, end in or after)."""
        year = int(value)
        return qs.filter(
            date_debut_prevue__lte=dt.date(year, 12, 31),
        ).filter(Q(date_fin_prevue__gte=dt.date(year, 1, 1)) | Q(date_fin_prevue__isnull=True))

    def filter_en_retard(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(en_retard_q()) if value else qs.exclude(en_retard_q())
