"""Shared model mechanisms: every business record keeps its history and a version number.

``BusinessModel`` is the base of every business record (laureates, fiches actions, posts…):
- ``history`` (django-simple-history) keeps who changed what and when, and allows restoring;
- ``version`` implements optimistic locking: see ``pvd.core.locking``.
"""

from __future__ import annotations

from django.db import models
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class BusinessModel(TimeStampedModel):
    version = models.PositiveIntegerField("version", default=1, editable=False)
    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
