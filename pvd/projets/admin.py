"""Django admin: the managed lists (themes, financeurs, dispositifs) and the financing parameters."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Dispositif, Financeur, ParametresFinancement, Theme


@admin.register(Theme)
class ThemeAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "slug", "ordre"]
    list_editable = ["ordre"]


@admin.register(Financeur)
class FinanceurAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "sigle", "categorie", "organisation", "actif"]
    list_filter = ["categorie", "actif"]


@admin.register(Dispositif)
class DispositifAdmin(SimpleHistoryAdmin):
    list_display = ["nom", "sigle", "financeur", "actif"]
    list_filter = ["financeur", "actif"]


@admin.register(ParametresFinancement)
class ParametresFinancementAdmin(SimpleHistoryAdmin):
    list_display = ["programme", "plafond_aides_publiques"]
