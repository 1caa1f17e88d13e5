"""Authentication backends of the platform."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' lock-out check, first of the backends.

    Web logins always go through it (Django's login view passes the request). Authentication
    without a request (``Client.login`` in tests, scripts) is not a web login and cannot be
    throttled by client: it is let through to the next backends instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
