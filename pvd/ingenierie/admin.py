"""Django admin of ingénierie (administrators; the platform's pages are the everyday tool)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    Cofinancement,
    DerogationEnveloppe,
    Enveloppe,
    EnveloppeDepartement,
    OperationHabitat,
    PartPoste,
    PosteChefDeProjet,
    RegleCofinancement,
    Versement,
)


class PartPosteInline(admin.TabularInline):
    model = PartPoste
    extra = 0
    raw_id_fields = ["laureat"]


@admin.register(PosteChefDeProjet)
class PosteAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "intitule", "etat", "titulaire_nom", "cout_annuel"]
    list_filter = ["etat", "programme"]
    search_fields = ["titulaire_nom", "laureats__nom"]
    raw_id_fields = ["employeur_commune", "employeur_epci"]
    readonly_fields = ["version"]
    inlines = [PartPosteInline]


@admin.register(RegleCofinancement)
class RegleAdmin(SimpleHistoryAdmin):
    list_display = ["programme", "code", "valeur"]
    list_filter = ["programme"]
    readonly_fields = ["version"]


class VersementInline(admin.TabularInline):
    model = Versement
    extra = 0
    readonly_fields = ["montant", "date", "libelle", "par"]
    can_delete = False


@admin.register(Cofinancement)
class CofinancementAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "annee", "poste", "departement", "etat", "montant_etat", "montant_accorde"]
    list_filter = ["annee", "etat", "region"]
    raw_id_fields = ["poste"]
    readonly_fields = [f.name for f in Cofinancement._meta.concrete_fields if f.name not in ("id",)]
    inlines = [VersementInline]


class EnveloppeDepartementInline(admin.TabularInline):
    model = EnveloppeDepartement
    extra = 0


@admin.register(Enveloppe)
class EnveloppeAdmin(SimpleHistoryAdmin):
    list_display = ["annee", "region", "programme", "montant"]
    list_filter = ["annee", "programme"]
    readonly_fields = ["version"]
    inlines = [EnveloppeDepartementInline]


@admin.register(DerogationEnveloppe)
class DerogationAdmin(SimpleHistoryAdmin):
    list_display = ["cofinancement", "montant", "depassement", "autorise_par", "autorise_le"]
    readonly_fields = [
        "cofinancement",
        "enveloppe",
        "montant",
        "depassement",
        "motif",
        "autorise_par",
        "autorise_le",
    ]


@admin.register(OperationHabitat)
class OperationHabitatAdmin(SimpleHistoryAdmin):
    list_display = ["laureat", "type", "date_debut", "date_fin"]
    list_filter = ["type"]
    raw_id_fields = ["laureat"]
