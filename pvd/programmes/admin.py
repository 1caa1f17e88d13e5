"""Django admin: an administrator configures a programme and its milestone types without new code."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Jalon, Laureat, LaureatCommune, Programme, TypeJalon
from .services import echeances


class TypeJalonInline(admin.TabularInline):
    model = TypeJalon
    fk_name = "programme"
    extra = 1
    fields = ["ordre", "code", "libelle", "reference", "delai_mois", "date_limite", "statut_atteint"]


@admin.register(Programme)
class ProgrammeAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "slug", "date_lancement", "date_fin", "date_fin_prolongee", "plafond_population"]
    prepopulated_fields = {"slug": ["nom"]}
    inlines = [TypeJalonInline]
    fields = [
        "nom",
        "slug",
        "description",
        "date_lancement",
        "date_fin",
        "prolongeable",
        "date_fin_prolongee",
        "plafond_population",
        "prefixe_identifiant",
    ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        n = echeances.recompute_programme(form.instance, user=request.user)
        if n:
            self.message_user(request, f"{n} jalon(s) de lauréats créés ou rééchelonnés selon les règles.")


@admin.register(TypeJalon)
class TypeJalonAdmin(SimpleHistoryAdmin):
    list_display = ["libelle", "programme", "ordre", "code", "reference", "delai_mois", "date_limite"]
    list_filter = ["programme"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        echeances.recompute_programme(obj.programme, user=request.user)


class LaureatCommuneInline(admin.TabularInline):
    model = LaureatCommune
    extra = 0
    autocomplete_fields: list[str] = []
    raw_id_fields = ["commune"]


class JalonInline(admin.TabularInline):
    model = Jalon
    extra = 0
    fields = ["type", "date_echeance", "date_realisation", "document", "valide_par", "valide_le"]
    readonly_fields = ["date_echeance", "valide_par", "valide_le"]


@admin.register(Laureat)
class LaureatAdmin(SimpleHistoryAdmin):
    list_display = ["identifiant", "nom", "programme", "departement", "statut", "demo"]
    list_filter = ["programme", "statut", "demo", "region"]
    search_fields = ["identifiant", "nom"]
    raw_id_fields = ["epci", "departement", "region"]
    inlines = [LaureatCommuneInline, JalonInline]
    list_select_related = ["programme", "departement"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        echeances.sync_jalons(form.instance)


@admin.register(Jalon)
class JalonAdmin(SimpleHistoryAdmin):
    list_display = ["laureat", "type", "date_echeance", "date_realisation"]
    list_filter = ["type__programme", "type"]
    raw_id_fields = ["laureat", "valide_par"]
    readonly_fields = ["date_echeance"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        echeances.sync_jalons(obj.laureat)
