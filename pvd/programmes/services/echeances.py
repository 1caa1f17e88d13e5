"""Deadline rules of milestones (``Jalon``) — the ONE place where due dates and their state are computed.

- ``add_months(date, n)``: calendar month arithmetic, clamped to the end of the month
  (31 Aug 2021 + 18 months = 28 Feb 2023);
- ``due_date(type, done_by_type)``: the due date a ``TypeJalon``'s rule gives;
- ``etat_echeance(due, done, today)`` / ``etat_jalon(jalon)``: done, overdue, soon due (within
  ``SOON_DAYS``), upcoming or without deadline — used by every page, export and API field;
- ``overdue_q`` / ``soon_q``: the same states as ORM filters (lists, overview counts);
- ``sync_jalons(laureat)``: create the laureate's milestones, recompute their due dates and the
  laureate's status.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Mapping

from django.db.models import Q
from django.utils import timezone

SOON_DAYS = 60  # a milestone due within this many days is flagged "soon due"

_STATUT_RANK = {"laureat": 0, "adhesion": 1, "ort": 2}


def add_months(date: dt.date, months: int) -> dt.date:
    """``date`` plus ``months`` calendar months; a day missing in the target month becomes its last day."""
    index = date.year * 12 + (date.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise OverflowError(f"{date} + {months} mois sort du calendrier")
    day = min(date.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def due_date(type_jalon, done_by_type: Mapping[int, dt.date | None]) -> dt.date | None:
    """The due date of a milestone of ``type_jalon`` given the done dates of the laureate's milestones.

    ``done_by_type`` maps a ``TypeJalon`` id to the date its milestone was done (or None).
    """
    if type_jalon.reference_id and type_jalon.delai_mois is not None:
        reference_done = done_by_type.get(type_jalon.reference_id)
        if reference_done is None:
            return None  # the clock starts when the reference milestone is done
        return add_months(reference_done, type_jalon.delai_mois)
    return type_jalon.date_limite


class Etat(enum.Enum):
    REALISE = ("realise", "Réalisé", "success")
    EN_RETARD = ("en_retard", "En retard", "error")
    PROCHE = ("proche", "Échéance proche", "warning")
    A_VENIR = ("a_venir", "À venir", "info")
    SANS_ECHEANCE = ("sans_echeance", "Sans échéance", "new")

    def __init__(self, code: str, label: str, badge: str):
        self.code = code
        self.label = label
        self.badge = badge  # DSFR badge variant

    def __str__(self) -> str:
        return self.label


def today() -> dt.date:
    return timezone.localdate()


def etat_echeance(
    due: dt.date | None, done: dt.date | None, on: dt.date | None = None, soon_days: int = SOON_DAYS
) -> Etat:
    on = on or today()
    if done is not None:
        return Etat.REALISE
    if due is None:
        return Etat.SANS_ECHEANCE
    if due < on:
        return Etat.EN_RETARD
    if due <= on + dt.timedelta(days=soon_days):
        return Etat.PROCHE
    return Etat.A_VENIR


def etat_jalon(jalon, on: dt.date | None = None) -> Etat:
    return etat_echeance(jalon.date_echeance, jalon.date_realisation, on)


def overdue_q(prefix: str = "", on: dt.date | None = None) -> Q:
    """Milestones overdue on ``on`` (``prefix`` e.g. ``"jalons__"`` from a laureate)."""
    on = on or today()
    return Q(**{f"{prefix}date_realisation__isnull": True, f"{prefix}date_echeance__lt": on})


def soon_q(prefix: str = "", on: dt.date | None = None, soon_days: int = SOON_DAYS) -> Q:
    on = on or today()
    return Q(
        **{
            f"{prefix}date_realisation__isnull": True,
            f"{prefix}date_echeance__gte": on,
            f"{prefix}date_echeance__lte": on + dt.timedelta(days=soon_days),
        }
    )


def statut_from(current: str, done_statuts: list[str]) -> str:
    """The laureate's status given the statuses its done milestones reach ("sorti" is kept)."""
    if current == "sorti":
        return current
    best = "laureat"
    for statut in done_statuts:
        if statut in _STATUT_RANK and _STATUT_RANK[statut] > _STATUT_RANK[best]:
            best = statut
    return best


def plan_jalons(types, done_by_type: Mapping[int, dt.date | None]) -> dict[int, dt.date | None]:
    """Due date per milestone type for a laureate (types ordered; references may chain)."""
    return {t.id: due_date(t, done_by_type) for t in types}


def sync_jalons(laureat, types=None) -> list:
    """Make sure ``laureat`` has one milestone per type of its programme, due dates recomputed.

    Saves only what changed (history kept); returns the changed/created milestones.
    """
    from ..models import Jalon, TypeJalon

    types = list(types if types is not None else TypeJalon.objects.filter(programme_id=laureat.programme_id))
    existing = {j.type_id: j for j in Jalon.objects.filter(laureat=laureat)}
    done = {type_id: j.date_realisation for type_id, j in existing.items()}
    changed = []
    for t in types:
        due = due_date(t, done)
        jalon = existing.get(t.id)
        if jalon is None:
            jalon = Jalon.objects.create(laureat=laureat, type=t, date_echeance=due)
            changed.append(jalon)
        elif jalon.date_echeance != due:
            jalon.date_echeance = due
            jalon.version += 1
            jalon.save()
            changed.append(jalon)
    statut = statut_from(
        laureat.statut, [t.statut_atteint for t in types if done.get(t.id) is not None and t.statut_atteint]
    )
    if statut != laureat.statut:
        laureat.statut = statut
        laureat.version += 1
        laureat.save()
    return changed


def recompute_programme(programme, user=None) -> int:
    """After a change of the programme's milestone types: create missing milestones and recompute
    every due date (bulk, history kept). Returns the number of milestones created or changed."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    from ..models import Jalon, Laureat, TypeJalon

    types = list(TypeJalon.objects.filter(programme=programme).order_by("ordre"))
    by_laureat: dict[int, dict[int, object]] = {
        pk: {} for pk in Laureat.objects.filter(programme=programme).values_list("pk", flat=True)
    }
    for jalon in Jalon.objects.filter(laureat__programme=programme):
        by_laureat.setdefault(jalon.laureat_id, {})[jalon.type_id] = jalon
    created, changed = [], []
    for laureat_id, jalons in by_laureat.items():
        done = {type_id: j.date_realisation for type_id, j in jalons.items()}
        for t in types:
            due = due_date(t, done)
            jalon = jalons.get(t.id)
            if jalon is None:
                created.append(Jalon(laureat_id=laureat_id, type=t, date_echeance=due))
            elif jalon.date_echeance != due:
                jalon.date_echeance = due
                jalon.version += 1
                changed.append(jalon)
    if created:
        bulk_create_with_history(created, Jalon, batch_size=1000, default_user=user)
    if changed:
        bulk_update_with_history(
            changed, Jalon, ["date_echeance", "version"], batch_size=1000, default_user=user
        )
    return len(created) + len(changed)
