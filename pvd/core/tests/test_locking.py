"""Optimistic locking: a stale edit is refused with what changed meanwhile (UI form and API)."""

import datetime as dt
import json

import pytest
from django.test import RequestFactory

from pvd.api.api import api
from pvd.comptes.models import User
from pvd.core.forms import DsfrModelForm
from pvd.core.locking import StaleEditError, VersionedModelFormMixin, save_with_version
from pvd.programmes.models import Programme


class ProgrammeForm(VersionedModelFormMixin, DsfrModelForm):
    class Meta:
        model = Programme
        fields = ["nom", "slug", "description", "date_lancement"]


class EarlyProgrammeForm(ProgrammeForm):
    check_version_on_clean = True


@pytest.fixture
def programme(db):
    return save_with_version(
        Programme(nom="Villages d'avenir", slug="va", description="v1", date_lancement=dt.date(2023, 1, 1)),
        None,
    )


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice@example.org", first_name="Alice", last_name="Martin")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob@example.org", first_name="Bob", last_name="Durand")


def _data(obj, **changes):
    data = {
        "nom": obj.nom,
        "slug": obj.slug,
        "description": obj.description,
        "date_lancement": obj.date_lancement.isoformat(),
        "version": obj.version,
    }
    data.update(changes)
    return data


def test_save_with_version_bumps_and_refuses_a_stale_version(programme, alice, bob):
    mine = Programme.objects.get(pk=programme.pk)
    theirs = Programme.objects.get(pk=programme.pk)
    theirs.description = "modifiée par Bob"
    save_with_version(theirs, 1, user=bob)
    assert Programme.objects.get(pk=programme.pk).version == 2

    mine.description = "modifiée par Alice"
    with pytest.raises(StaleEditError) as info:
        save_with_version(mine, 1, user=alice)
    err = info.value
    assert err.current_version == 2 and err.expected == 1
    [change] = err.changes
    assert change.field == "description"
    assert (change.old, change.current, change.yours) == ("v1", "modifiée par Bob", "modifiée par Alice")
    assert change.changed_by == "Bob Durand" and change.changed_at is not None
    # nothing written
    stored = Programme.objects.get(pk=programme.pk)
    assert stored.description == "modifiée par Bob" and stored.version == 2
    assert stored.history.count() == 2
    assert stored.history.first().history_user == bob


def test_stale_edit_form_shows_what_changed_and_never_overwrites(programme, alice, bob):
    # Both open the edit form at version 1.
    form_alice = ProgrammeForm(instance=programme, user=alice)
    assert form_alice["version"].value() == 1
    # Bob saves first.
    form_bob = ProgrammeForm(_data(programme, nom="Villages d'avenir (2024)"), instance=programme, user=bob)
    assert form_bob.is_valid(), form_bob.errors
    form_bob.save()
    # Alice submits her edit based on version 1: refused, told what changed and by whom.
    stale = Programme.objects.get(pk=programme.pk)
    form = EarlyProgrammeForm(
        _data(programme, description="avis d'Alice", version=1), instance=stale, user=alice
    )
    assert not form.is_valid()
    message = " ".join(form.non_field_errors())
    assert "modifié par Bob Durand" in message
    assert "« nom » : « Villages d'avenir » → « Villages d'avenir (2024) »" in message
    assert Programme.objects.get(pk=programme.pk).description == "v1"
    # The hidden version moved forward: re-submitting is now a deliberate, informed edit.
    assert form["version"].value() == "2"
    again = EarlyProgrammeForm(form.data, instance=Programme.objects.get(pk=programme.pk), user=alice)
    assert again.is_valid(), again.errors
    again.save()
    stored = Programme.objects.get(pk=programme.pk)
    assert stored.description == "avis d'Alice" and stored.version == 3


def test_default_flow_is_valid_then_save_or_conflict(programme, alice, bob):
    other = Programme.objects.get(pk=programme.pk)
    other.nom = "Nom de Bob"
    save_with_version(other, 1, user=bob)
    form = ProgrammeForm(
        _data(programme, description="Alice", version=1),
        instance=Programme.objects.get(pk=programme.pk),
        user=alice,
    )
    assert form.is_valid()
    assert form.save_or_conflict() is None
    message = " ".join(form.non_field_errors())
    assert "modifié par Bob Durand" in message and "« Villages d'avenir » → « Nom de Bob »" in message
    assert form["version"].value() == "2"
    stored = Programme.objects.get(pk=programme.pk)
    assert stored.description == "v1" and stored.version == 2


def test_race_lost_between_validation_and_save_is_a_form_error(programme, alice, bob):
    form = ProgrammeForm(_data(programme, description="Alice"), instance=programme, user=alice)
    assert form.is_valid()
    other = Programme.objects.get(pk=programme.pk)
    other.description = "Bob"
    save_with_version(other, 1, user=bob)
    assert form.save_or_conflict() is None
    assert "modifié" in " ".join(form.non_field_errors())
    assert Programme.objects.get(pk=programme.pk).description == "Bob"


def test_deleted_meanwhile(programme, alice):
    mine = Programme.objects.get(pk=programme.pk)
    Programme.objects.filter(pk=programme.pk).delete()
    with pytest.raises(StaleEditError) as info:
        save_with_version(mine, 1, user=alice)
    assert info.value.current_version is None
    assert "supprimé" in str(info.value)


def test_api_answers_409_with_the_changes(programme, alice, bob):
    theirs = Programme.objects.get(pk=programme.pk)
    theirs.nom = "Autre nom"
    save_with_version(theirs, 1, user=bob)
    mine = Programme.objects.get(pk=programme.pk)
    mine.version = 1
    mine.nom = "Mon nom"
    with pytest.raises(StaleEditError) as info:
        save_with_version(mine)
    request = RequestFactory().put("/api/v1/x")
    request.user = alice
    response = api.on_exception(request, info.value)
    assert response.status_code == 409
    body = json.loads(response.content)
    assert body["current_version"] == 2 and body["expected_version"] == 1
    assert body["changes"][0] == {
        "field": "nom",
        "label": "nom",
        "old": "Villages d'avenir",
        "new": "Autre nom",
        "yours": "Mon nom",
        "current": "Autre nom",
        "changed_by": "Bob Durand",
        "changed_at": body["changes"][0]["changed_at"],
    }


def test_the_check_and_the_bump_are_one_conditional_update(programme, alice):
    """Race safety: the version is checked and bumped by a single UPDATE … WHERE version = …,
    so of two concurrent saves based on the same version only one can match the row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mine = Programme.objects.get(pk=programme.pk)
    mine.description = "v2"
    with CaptureQueriesContext(connection) as queries:
        save_with_version(mine, 1, user=alice)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    conditional = updates[0].replace('"', "")
    assert "SET version = 2" in conditional and "version = 1" in conditional.split("WHERE")[1]
    # the loser of the race: same base version, the row no longer matches → refused
    loser = Programme.objects.get(pk=programme.pk)
    loser.version = 1
    with pytest.raises(StaleEditError):
        save_with_version(loser)


def test_the_version_travels_in_a_hidden_field(programme):
    html = str(ProgrammeForm(instance=programme))
    assert 'type="hidden" name="version" value="1"' in html


def test_versioned_update_view(programme, alice, bob, rf):
    from django.views.generic import UpdateView

    from pvd.core.locking import VersionedUpdateViewMixin

    class Edit(VersionedUpdateViewMixin, UpdateView):
        model = Programme
        form_class = ProgrammeForm
        template_name = "core/history_table.html"  # any template: the test reads the form
        success_url = "/ok/"

    def post(user, **changes):
        request = rf.post("/", _data(Programme.objects.get(pk=programme.pk), **changes))
        request.user = user
        return Edit.as_view()(request, pk=programme.pk)

    assert post(bob, nom="Nom de Bob")["Location"] == "/ok/"
    stale = post(alice, nom="Nom d'Alice", version=1)
    assert stale.status_code == 200 and stale.context_data["form"].stale_error.current_version == 2
    stored = Programme.objects.get(pk=programme.pk)
    assert stored.nom == "Nom de Bob" and stored.history.first().history_user == bob
