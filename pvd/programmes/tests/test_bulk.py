"""The fast bulk insertion writes exactly what the ORM and simple-history would."""

import datetime as dt

import pytest

from pvd.comptes.models import User
from pvd.programmes.factories import programme_pvd
from pvd.programmes.models import Jalon, Laureat
from pvd.programmes.services import bulk

pytestmark = pytest.mark.django_db


def test_fast_insert_sets_pks_and_writes_creation_history():
    pvd = programme_pvd()
    user = User.objects.create_user("bulk@example.fr", "mot-de-passe-long-123")
    assert bulk._model_ok(Laureat) and bulk._history_ok(Laureat.history.model)
    objs = [
        Laureat(
            programme=pvd,
            identifiant=f"pvd-b-{i}",
            nom=f"Lauréat {i}",
            departement_id="21",
            region_id="27",
            epci_id="242101491",
            date_admission=dt.date(2021, 1, 1 + i),
            latitude=47.5 + i / 10,
            statut="adhesion",
        )
        for i in range(5)
    ]
    bulk.bulk_create_with_fast_history(objs, Laureat, lambda o: (o.programme_id, o.identifiant), ("programme_id", "identifiant"), user)  # fmt: skip
    assert all(o.pk for o in objs)
    stored = Laureat.objects.get(pk=objs[3].pk)
    assert (stored.identifiant, stored.date_admission, stored.latitude, stored.version, stored.demo) == (
        "pvd-b-3",
        dt.date(2021, 1, 4),
        47.8,
        1,
        False,
    )
    assert stored.created_at is not None and stored.updated_at is not None
    record = stored.history.get()
    assert (record.history_type, record.history_user, record.nom, record.date_admission) == (
        "+",
        user,
        "Lauréat 3",
        dt.date(2021, 1, 4),
    )
    jalons = [
        Jalon(laureat=o, type=pvd.types_jalons.get(code="adhesion"), date_realisation=dt.date(2021, 2, 1))
        for o in objs
    ]
    bulk.bulk_create_with_fast_history(
        jalons, Jalon, lambda o: (o.laureat_id, o.type_id), ("laureat_id", "type_id")
    )
    assert Jalon.objects.filter(laureat__in=objs, date_realisation=dt.date(2021, 2, 1)).count() == 5
    assert Jalon.history.filter(id__in=[j.pk for j in jalons], history_type="+").count() == 5
