"""Django admin of accounts (the DSFR pages under /comptes/utilisateurs/ are the everyday tool)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, Habilitation, Organisation, User


class HabilitationInline(admin.TabularInline):
    model = Habilitation
    fk_name = "user"
    extra = 0
    can_delete = False  # revoke instead (HabilitationAdmin action): the grant stays on record
    fields = (
        "role",
        "region",
        "departement",
        "commune",
        "epci",
        "laureat",
        "organisation",
        "granted_by",
        "granted_at",
        "revoked_at",
    )
    readonly_fields = ("granted_by", "granted_at", "revoked_at")
    raw_id_fields = ("commune", "epci", "laureat")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "organisation", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    list_filter = ("is_active", "is_staff", "is_superuser")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Identité", {"fields": ("first_name", "last_name", "organisation")}),
        ("Accès", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [HabilitationInline]

    def save_formset(self, request, form, formset, change):
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj.delete()
        for hab in instances:
            if hab.pk is None:
                hab.granted_by = request.user
                hab.granted_at = timezone.now()
            hab._history_user = request.user
            hab.save()
        formset.save_m2m()


@admin.register(Habilitation)
class HabilitationAdmin(SimpleHistoryAdmin):
    list_display = ("user", "role", "scope_label", "granted_by", "granted_at", "revoked_by", "revoked_at")
    list_filter = ("role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "user__last_name")
    raw_id_fields = ("user", "commune", "epci", "laureat")
    readonly_fields = ("granted_by", "granted_at", "revoked_by", "revoked_at")
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.granted_by = request.user
            obj.granted_at = timezone.now()
        obj._history_user = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the grant stays on record

    @admin.action(description="Révoquer les habilitations sélectionnées")
    def revoke(self, request, queryset):
        for hab in queryset.active():
            hab.revoke(revoked_by=request.user)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("nom", "sigle")
    search_fields = ("nom", "sigle")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    search_fields = ("user__email", "name", "key_prefix")
    readonly_fields = ("user", "name", "key_prefix", "digest", "created_at", "last_used_at", "revoked_by")
    fields = readonly_fields + ("expires_at", "revoked_at")

    def has_add_permission(self, request):
        return False  # tokens are created by their owner, shown once
