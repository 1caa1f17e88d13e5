"""Pages of the record history (see ``pvd.core.history``)."""

import contextlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch
from django.views.decorators.http import require_POST

from pvd.comptes.policy import get_object_for, is_admin, require, rule_for

from .history import RestoreError, deleted_records, historised_model, history_entries, restore_deleted


def _require_admin_for(request, model, action: str = "create") -> None:
    if not is_admin(request.user):
        raise PermissionDenied(
            "Seul un administrateur national peut consulter et restaurer les suppressions."
        )
    try:
        rule_for(model)
    except LookupError:
        return
    require(request.user, action, model)


def record_history(request, app_label: str, model_name: str, pk: str):
    model = historised_model(app_label, model_name)
    obj = model._base_manager.filter(pk=pk).first()
    if obj is not None:
        obj = get_object_for(request.user, "view", model, pk=pk)
        deleted = False
    else:
        if not is_admin(request.user):
            raise Http404("Enregistrement introuvable.")
        rows = deleted_records(model)
        last = next((r for r in rows if str(getattr(r, model._meta.pk.attname)) == str(pk)), None)
        if last is None:
            raise Http404("Enregistrement introuvable.")
        obj, deleted = last.instance, True
    record_url = None
    if not deleted and hasattr(obj, "get_absolute_url"):
        with contextlib.suppress(NoReverseMatch):
            record_url = obj.get_absolute_url()
    return render(
        request,
        "core/history.html",
        {
            "title": f"Historique — {obj}",
            "obj": obj,
            "deleted": deleted,
            "verbose_name": model._meta.verbose_name,
            "entries": history_entries(model, obj.pk),
            "app_label": app_label,
            "model_name": model._meta.model_name,
            "can_restore": deleted and is_admin(request.user),
            "record_url": record_url,
        },
    )


def deleted_list(request, app_label: str, model_name: str):
    model = historised_model(app_label, model_name)
    _require_admin_for(request, model, "view")
    return render(
        request,
        "core/history_deleted.html",
        {
            "title": f"Enregistrements supprimés — {model._meta.verbose_name_plural}",
            "verbose_name_plural": model._meta.verbose_name_plural,
            "rows": deleted_records(model),
            "pk_name": model._meta.pk.attname,
            "app_label": app_label,
            "model_name": model._meta.model_name,
        },
    )


@require_POST
def restore(request, app_label: str, model_name: str, pk: str):
    model = historised_model(app_label, model_name)
    _require_admin_for(request, model, "create")
    try:
        obj = restore_deleted(model, pk, user=request.user)
    except RestoreError as exc:
        messages.error(request, str(exc))
        return redirect("core:deleted", app_label, model._meta.model_name)
    messages.success(request, f"« {obj} » a été restauré.")
    return redirect("core:history", app_label, model._meta.model_name, obj.pk)
