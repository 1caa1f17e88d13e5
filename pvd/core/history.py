"""History of business records (django-simple-history): who changed what, when; restore.

Any model with ``history`` (every ``BusinessModel``) gets, without code of its own:

- the page ``core:history <app_label> <model> <pk>`` (URL ``/historique/<app>/<model>/<pk>/``):
  every create/update/delete with author, date and changed fields (old → new values), shown
  to whoever may view the record (``can(user, "view", obj)``); a deleted record's history is
  shown to administrators only;
- ``{% load pvd_history %}{% history_link obj %}`` (a link to that page) and
  ``{% history_table obj %}`` (the table itself) for record pages;
- ``core:deleted <app_label> <model>``: the deleted records of a model, each restorable by an
  administrator (``core:restore``) from its last historical row (``restore_deleted``).

Functions: ``history_entries(model, pk)``, ``deleted_records(model)``, ``restore_deleted(model,
pk, user)``, ``history_url(obj)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.urls import reverse

_HIDDEN = {"version", "created_at", "updated_at"}
TYPE_LABELS = {"+": "Création", "~": "Modification", "-": "Suppression"}


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    date: datetime
    user: str
    type: str
    type_label: str
    version: int | None
    changes: list[FieldDiff]
    reason: str


def historised_model(app_label: str, model_name: str) -> type[models.Model]:
    """The model named in a URL, if it keeps a history (404 otherwise)."""
    try:
        model = apps.get_model(app_label, model_name)
    except LookupError:
        raise Http404("Type d'enregistrement inconnu.") from None
    if not hasattr(model, "history") or not hasattr(model._meta, "simple_history_manager_attribute"):
        raise Http404("Ce type d'enregistrement n'a pas d'historique.")
    return model


def _rows(model: type[models.Model], pk) -> list:
    history_model = model.history.model
    return list(
        history_model.objects.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )


def _value(model, field_name: str, value):
    try:
        field = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001
        return value
    if field.choices and value is not None:
        return dict(field.flatchoices).get(value, value)
    if field.is_relation and value is not None:
        try:
            return str(field.related_model._base_manager.get(pk=value))
        except ObjectDoesNotExist:
            return f"#{value} (supprimé)"
    return value


def _label(model, field_name: str) -> str:
    try:
        return str(model._meta.get_field(field_name).verbose_name)
    except Exception:  # noqa: BLE001
        return field_name


def history_entries(model: type[models.Model], pk) -> list[HistoryEntry]:
    """Every historical row of the record, newest first, with the fields each one changed."""
    rows = _rows(model, pk)
    hidden = [f.name for f in model._meta.concrete_fields if f.name in _HIDDEN]
    entries = []
    previous = None
    for row in rows:
        if previous is not None and row.history_type == "~":
            delta = row.diff_against(previous, excluded_fields=hidden)
            changes = [
                FieldDiff(
                    c.field,
                    _label(model, c.field),
                    _value(model, c.field, c.old),
                    _value(model, c.field, c.new),
                )
                for c in delta.changes
            ]
        elif row.history_type == "+":
            changes = [
                FieldDiff(f.name, str(f.verbose_name), None, _value(model, f.name, getattr(row, f.attname)))
                for f in model._meta.concrete_fields
                if f.name not in _HIDDEN and not f.primary_key and getattr(row, f.attname) not in (None, "")
            ]
        else:
            changes = []
        entries.append(
            HistoryEntry(
                date=row.history_date,
                user=str(row.history_user) if row.history_user else "Système",
                type=row.history_type,
                type_label=TYPE_LABELS.get(row.history_type, row.history_type),
                version=getattr(row, "version", None),
                changes=changes,
                reason=row.history_change_reason or "",
            )
        )
        previous = row
    entries.reverse()
    return entries


def deleted_records(model: type[models.Model]) -> list:
    """The last historical row of each deleted (and not restored) record of ``model``."""
    history_model = model.history.model
    pk_name = model._meta.pk.attname
    existing = model._base_manager.values(pk_name)
    rows = (
        history_model.objects.filter(history_type="-")
        .exclude(**{f"{pk_name}__in": existing})
        .select_related("history_user")
        .order_by("-history_date")
    )
    seen, result = set(), []
    for row in rows:
        key = getattr(row, pk_name)
        if key not in seen:
            seen.add(key)
            result.append(row)
    return result


class RestoreError(Exception):
    """The record cannot be restored (explains why)."""


def restore_deleted(model: type[models.Model], pk, user=None) -> models.Model:
    """Recreate a deleted record from its last historical row (history notes the restore).

    The record gets back its primary key and field values; its version goes on from the last
    one. Many-to-many links are not part of the history and must be re-established.
    """
    if model._base_manager.filter(pk=pk).exists():
        raise RestoreError("Cet enregistrement existe : il n'y a rien à restaurer.")
    rows = _rows(model, pk)
    if not rows or rows[-1].history_type != "-":
        raise RestoreError("Aucune suppression de cet enregistrement n'est connue de l'historique.")
    last = rows[-1]
    instance = last.instance
    if hasattr(instance, "version"):
        instance.version = (last.version or 0) + 1
    if user is not None and getattr(user, "is_authenticated", False):
        instance._history_user = user
    instance._change_reason = "Restauration depuis l'historique"
    try:
        with transaction.atomic():
            instance.save(force_insert=True)
    except IntegrityError as exc:
        raise RestoreError(
            f"Restauration impossible : un enregistrement lié a disparu ou une valeur est déjà prise ({exc})."
        ) from exc
    return instance


def history_url(obj: models.Model) -> str:
    return reverse("core:history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])
