"""Endpoints of accounts checked by the permission-matrix test (pvd/comptes/tests/).

Any app may provide such a ``matrix.py`` module: ``ENDPOINTS`` lists, for one of its models
and one action, how a page or the API performs that action on a record. The matrix test
imports every ``<app>.matrix`` module it finds and checks each endpoint for every role and
scope relation: it must succeed exactly when the policy table allows the action.

Entry: ``(Model, action, channel, method, url_builder)`` — ``channel`` is ``"ui"`` or
``"api"``; ``url_builder(obj)`` returns the URL. (Pages ``core:history`` — view of every
historised record — and ``get_absolute_url`` are covered without being listed.)
"""

from django.urls import reverse

from .models import ApiToken, Habilitation, User

ENDPOINTS = [
    (User, "view", "ui", "get", lambda u: reverse("comptes:user", args=[u.pk])),
    (Habilitation, "view", "api", "get", lambda h: f"/api/v1/comptes/habilitations/{h.pk}"),
    (Habilitation, "delete", "ui", "post", lambda h: reverse("comptes:revoke_habilitation", args=[h.pk])),
    (Habilitation, "delete", "api", "delete", lambda h: f"/api/v1/comptes/habilitations/{h.pk}"),
    (ApiToken, "delete", "ui", "post", lambda t: reverse("comptes:revoke_api_token", args=[t.pk])),
    (ApiToken, "delete", "api", "delete", lambda t: f"/api/v1/comptes/jetons/{t.pk}"),
]
