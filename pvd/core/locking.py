"""Optimistic locking for business records (``BusinessModel.version``).

Every edit says which version it was based on. ``save_with_version`` writes the record only if
the stored version is still that one, with an atomic conditional UPDATE, so that two processes
can never both win; otherwise it raises ``StaleEditError`` listing what changed meanwhile
(field, value the editor saw, value now stored, who changed it and when). Nothing is silently
overwritten.

- models/services: ``save_with_version(instance, expected_version)``; new records: plain ``save()``.
- forms: ``VersionedModelFormMixin`` adds a hidden ``version`` field and turns a stale save into a
  form error showing the changes.
- API: catch ``StaleEditError`` and answer 409 with ``error.as_dict()``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import models, transaction
from django.db.models import F


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    yours: object
    current: object


class StaleEditError(Exception):
    """The record was changed by someone else since the editor loaded it."""

    def __init__(
        self,
        instance: models.Model,
        expected: int,
        current_version: int | None,
        changes: list[FieldChange],
        changed_by: str = "",
        changed_at=None,
    ):
        self.instance = instance
        self.expected = expected
        self.current_version = current_version
        self.changes = changes
        self.changed_by = changed_by
        self.changed_at = changed_at
        if current_version is None:
            message = "Cet enregistrement a été supprimé entre-temps."
        else:
            what = ", ".join(f"« {c.label} »" for c in changes) or "d'autres informations"
            who = f" par {changed_by}" if changed_by else ""
            message = (
                f"Cet enregistrement a été modifié{who} depuis que vous l'avez ouvert "
                f"(version {expected} → {current_version}) : {what}. Vos modifications n'ont pas été "
                "enregistrées ; rechargez la page pour repartir de la version actuelle."
            )
        super().__init__(message)

    def as_dict(self) -> dict:
        return {
            "detail": str(self),
            "expected_version": self.expected,
            "current_version": self.current_version,
            "changed_by": self.changed_by,
            "changes": [
                {
                    "field": c.field,
                    "label": c.label,
                    "yours": _jsonable(c.yours),
                    "current": _jsonable(c.current),
                }
                for c in self.changes
            ],
        }


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _concrete_fields(instance: models.Model) -> list[models.Field]:
    return [
        f
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in {"version", "created_at", "updated_at"}
    ]


def _changes(instance: models.Model, stored: models.Model) -> list[FieldChange]:
    changes = []
    for f in _concrete_fields(instance):
        mine, theirs = getattr(instance, f.attname), getattr(stored, f.attname)
        if mine != theirs:
            changes.append(FieldChange(f.name, str(f.verbose_name), mine, theirs))
    return changes


def _last_author(stored: models.Model) -> tuple[str, object]:
    history = getattr(stored, "history", None)
    if history is None:
        return "", None
    last = history.order_by("-history_date").select_related("history_user").first()
    if last is None:
        return "", None
    return (str(last.history_user) if last.history_user else ""), last.history_date


def save_with_version(instance: models.Model, expected_version: int | None = None) -> models.Model:
    """Save ``instance`` if the stored version is still ``expected_version`` (default: its own).

    On success the version is incremented (in the database and on ``instance``) and the history
    records the change. On conflict raises ``StaleEditError`` and writes nothing.
    """
    expected = instance.version if expected_version is None else int(expected_version)
    model = type(instance)
    with transaction.atomic():
        updated = model._default_manager.filter(pk=instance.pk, version=expected).update(
            version=F("version") + 1
        )
        if updated != 1:
            stored = model._default_manager.filter(pk=instance.pk).first()
            if stored is None:
                raise StaleEditError(instance, expected, None, [])
            who, when = _last_author(stored)
            raise StaleEditError(instance, expected, stored.version, _changes(instance, stored), who, when)
        instance.version = expected + 1
        instance.save()
    return instance


class VersionedModelFormMixin:
    """For a ModelForm of a ``BusinessModel``: carries the version and refuses stale edits.

    Call ``form.save()`` as usual; a stale version adds a non-field error describing what
    changed meanwhile and ``save()`` raises ``StaleEditError`` (views usually check
    ``form.is_valid()`` then call ``form.save_or_conflict()`` which returns None on conflict).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False)
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.version

    def save(self, commit: bool = True):
        instance = super().save(commit=False)
        if not commit:
            return instance
        if instance.pk and instance._state.adding is False:
            expected = self.cleaned_data.get("version")
            save_with_version(instance, instance.version if expected is None else expected)
            self._save_m2m()
        else:
            instance.save()
            self._save_m2m()
        return instance

    def save_or_conflict(self):
        try:
            return self.save()
        except StaleEditError as exc:
            self.add_error(None, str(exc))
            self.stale_error = exc
            return None
