from django.contrib.auth import views as auth_views
from django.urls import path
from mozilla_django_oidc.views import OIDCLogoutView

from . import views

app_name = "comptes"

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    # POST only; ends the ProConnect session too when signed in through it.
    path("deconnexion/", OIDCLogoutView.as_view(), name="logout"),
    path("mot-de-passe/oublie/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oublie/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="comptes/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(template_name="comptes/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("mon-compte/", views.my_account, name="account"),
    path("mon-compte/jetons/", views.api_tokens, name="api_tokens"),
    path("jetons/<int:pk>/revoquer/", views.revoke_api_token, name="revoke_api_token"),
    path("utilisateurs/", views.users, name="users"),
    path("utilisateurs/nouveau/", views.user_create, name="user_create"),
    path("utilisateurs/<int:pk>/", views.user_detail, name="user"),
    path("habilitations/<int:pk>/revoquer/", views.revoke_habilitation, name="revoke_habilitation"),
]
