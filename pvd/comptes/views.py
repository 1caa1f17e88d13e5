"""Pages of accounts: my account, API tokens, and the administration of habilitations.

Views stay thin: access through ``pvd.comptes.policy`` only (``visible_to``, ``get_object_for``,
``require``), rules in the models (``Habilitation.grant/revoke``, ``ApiToken.issue/revoke``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from .forms import (
    ApiTokenForm,
    HabilitationForm,
    LoginForm,
    PvdPasswordResetForm,
    PvdSetPasswordForm,
    UserCreateForm,
)
from .models import ApiToken, Habilitation, User
from .policy import get_object_for, require, visible_to
from .services import send_invitation

_HAB_RELATED = (
    "region",
    "departement",
    "commune",
    "epci",
    "laureat",
    "organisation",
    "granted_by",
    "revoked_by",
)


class LoginView(auth_views.LoginView):
    template_name = "comptes/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["proconnect_enabled"] = getattr(settings, "PROCONNECT_ENABLED", False)
        context["proconnect_failed"] = self.request.GET.get("echec") == "proconnect"
        context["title"] = "Se connecter"
        return context


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "comptes/password_reset.html"
    form_class = PvdPasswordResetForm
    email_template_name = "comptes/email/password_reset.txt"
    subject_template_name = "comptes/email/password_reset_subject.txt"
    success_url = reverse_lazy("comptes:password_reset_done")


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "comptes/password_reset_confirm.html"
    form_class = PvdSetPasswordForm
    success_url = reverse_lazy("comptes:password_reset_complete")


@login_required
def my_account(request):
    habilitations = (
        visible_to(request.user, Habilitation).filter(user=request.user).select_related(*_HAB_RELATED)
    )
    return render(
        request,
        "comptes/mon_compte.html",
        {
            "title": "Mon compte",
            "active": [h for h in habilitations if h.revoked_at is None],
            "revoked": [h for h in habilitations if h.revoked_at is not None],
            "tokens_count": ApiToken.objects.active().filter(user=request.user).count(),
            "has_password": request.user.has_usable_password(),
        },
    )


@login_required
def api_tokens(request):
    if request.method == "POST":
        require(request.user, "create", ApiToken)
    created_token = None
    form = ApiTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record, created_token = ApiToken.issue(request.user, form.cleaned_data["name"], form.expires_at())
        messages.success(
            request, f"Jeton « {record.name} » créé. Copiez-le maintenant : il ne sera plus affiché."
        )
        form = ApiTokenForm()
    tokens = visible_to(request.user, ApiToken).filter(user=request.user)
    response = render(
        request,
        "comptes/jetons.html",
        {"title": "Jetons d'API", "form": form, "tokens": tokens, "created_token": created_token},
    )
    if created_token:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_api_token(request, pk: int):
    token = get_object_for(request.user, "delete", ApiToken, pk=pk)
    token.revoke(revoked_by=request.user)
    messages.success(request, f"Jeton « {token.name} » révoqué.")
    if token.user_id != request.user.pk:
        return redirect("comptes:user", token.user_id)
    return redirect("comptes:api_tokens")


# --- Administration of users and habilitations (administrateur national) ---------------------


@login_required
def users(request):
    require(request.user, "create", Habilitation)  # the administration of users and their rights
    active = Habilitation.objects.active().select_related(*_HAB_RELATED[:6])
    qs = visible_to(request.user, User).prefetch_related(Prefetch("habilitations", active, to_attr="actives"))
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    page = Paginator(qs.order_by("email"), 50).get_page(request.GET.get("page"))
    return render(
        request, "comptes/utilisateurs.html", {"title": "Utilisateurs et habilitations", "page": page, "q": q}
    )


@login_required
def user_create(request):
    require(request.user, "create", Habilitation)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.set_unusable_password()
        user.save()
        send_invitation(user, request, invited_by=request.user)
        messages.success(request, f"Compte créé ; une invitation a été envoyée à {user.email}.")
        return redirect("comptes:user", user.pk)
    return render(
        request, "comptes/utilisateur_nouveau.html", {"title": "Inviter un utilisateur", "form": form}
    )


@login_required
def user_detail(request, pk: int):
    person = get_object_for(request.user, "view", User, pk=pk)
    can_grant = request.user.is_authenticated and _can_grant(request.user)
    form = None
    if can_grant:
        form = HabilitationForm(request.POST or None, user=person, granted_by=request.user)
        if request.method == "POST" and form.is_valid():
            hab = form.save()
            messages.success(request, f"Habilitation accordée : {hab}.")
            return redirect("comptes:user", person.pk)
    elif request.method == "POST":
        require(request.user, "create", Habilitation)
    habilitations = (
        Habilitation.objects.filter(user=person).select_related(*_HAB_RELATED).order_by("-granted_at")
    )
    habilitations = visible_to(request.user, habilitations)
    return render(
        request,
        "comptes/utilisateur.html",
        {
            "title": f"Habilitations — {person}",
            "person": person,
            "active": [h for h in habilitations if h.revoked_at is None],
            "revoked": [h for h in habilitations if h.revoked_at is not None],
            "form": form,
            "can_grant": can_grant,
            "tokens": visible_to(request.user, ApiToken).filter(user=person),
        },
    )


def _can_grant(user) -> bool:
    from .policy import can

    return can(user, "create", Habilitation)


@login_required
@require_POST
def revoke_habilitation(request, pk: int):
    hab = get_object_for(request.user, "delete", Habilitation.objects.select_related("user"), pk=pk)
    hab.revoke(revoked_by=request.user)
    messages.success(request, f"Habilitation révoquée : {hab}.")
    return redirect(reverse("comptes:user", args=[hab.user_id]))
