"""Account services: invitation e-mail (a one-time link to choose a password)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User


def send_invitation(user: User, request, invited_by: User) -> None:
    """E-mail ``user`` a link (valid PASSWORD_RESET_TIMEOUT, single use) to choose a password."""
    site = get_current_site(request)
    context = {
        "user": user,
        "invited_by": invited_by,
        "domain": site.domain,
        "protocol": "https" if request.is_secure() else "http",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    subject = "".join(render_to_string("comptes/email/invitation_subject.txt", context).splitlines())
    body = render_to_string("comptes/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])
