from django.contrib.auth.forms import AuthenticationForm

from pvd.core.forms import DsfrFormMixin


class LoginForm(DsfrFormMixin, AuthenticationForm):
    pass
