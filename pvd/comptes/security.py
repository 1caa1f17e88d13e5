"""Security helpers: client IP behind proxies, masking personal data in logs, extra headers."""

from __future__ import annotations

import logging
import re

from django.conf import settings

EMAIL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9.\-]+\.[A-Za-z0-9\-]{2,}")
TOKEN_RE = re.compile(r"pvd_[A-Za-z0-9_\-]{8,}")
BEARER_RE = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


def mask(text: str) -> str:
    """Replace e-mail addresses and API tokens in ``text`` by placeholders."""
    text = EMAIL_RE.sub("[e-mail masqué]", text)
    text = TOKEN_RE.sub("[jeton masqué]", text)
    return BEARER_RE.sub(r"\1[masqué]", text)


class MaskPersonalDataFilter(logging.Filter):
    """A logging filter that masks e-mail addresses and API tokens in every record.

    The message is formatted once (``getMessage``) and masked, so arguments cannot smuggle an
    address past it; exception texts are masked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a broken record is logged as is
            return True
        masked = mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = str(exc)
            if mask(text) != text:
                record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        return True


def login_username(request, credentials) -> str | None:
    """The login name django-axes counts failures against: the e-mail typed, lower-cased."""
    value = (credentials or {}).get("username") or (credentials or {}).get("email")
    if value is None and request is not None and request.method == "POST":
        value = request.POST.get("username")
    return value.strip().lower() if isinstance(value, str) else value


def client_ip(request) -> str | None:
    """The client's IP: REMOTE_ADDR, or behind ``PVD_TRUSTED_PROXIES`` proxies the entry of
    X-Forwarded-For they appended (never a value the client could choose)."""
    proxies = getattr(settings, "PVD_TRUSTED_PROXIES", 0)
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` (no camera, microphone, geolocation… for the site)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = getattr(settings, "PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.value:
            response.headers.setdefault("Permissions-Policy", self.value)
        return response
