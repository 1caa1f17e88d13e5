from django.urls import path

from . import views

app_name = "territoires"

urlpatterns = [
    path("", views.index, name="index"),
    path("recherche/", views.recherche, name="recherche"),
    path("communes/<str:code>/", views.commune, name="commune"),
    path("epci/<str:code>/", views.epci, name="epci"),
    path("departements/<str:code>/", views.departement, name="departement"),
    path("regions/<str:code>/", views.region, name="region"),
]
