"""ProConnect (OIDC) endpoints, under /oidc/ — answering 404 while ProConnect is not configured."""

from django.conf import settings
from django.http import Http404
from django.urls import path
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView


class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not getattr(settings, "PROCONNECT_ENABLED", False):
            raise Http404("ProConnect n'est pas configuré sur cette plateforme.")
        return super().dispatch(request, *args, **kwargs)


class ProConnectRequestView(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    pass


class ProConnectCallbackView(_OnlyWhenEnabled, OIDCAuthenticationCallbackView):
    pass


urlpatterns = [
    path("callback/", ProConnectCallbackView.as_view(), name="oidc_authentication_callback"),
    path("authenticate/", ProConnectRequestView.as_view(), name="oidc_authentication_init"),
]
