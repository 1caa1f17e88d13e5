from django.contrib import admin
from django.urls import include, path

from pvd.api.api import api

urlpatterns = [
    path("", include("pvd.core.urls")),
    path("territoires/", include("pvd.territoires.urls")),
    path("comptes/", include("pvd.comptes.urls")),
    path("oidc/", include("pvd.comptes.oidc_urls")),
    path("programmes/", include("pvd.programmes.urls")),
    path("projets/", include("pvd.projets.urls")),
    path("ingenierie/", include("pvd.ingenierie.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
