from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.index, name="index"),
    path("laureats/", views.laureats, name="laureats"),
    path("laureats/export.<str:fmt>", views.laureats_export, name="laureats_export"),
    path("import/", views.importer, name="import"),
    path("<slug:slug>/", views.programme, name="programme"),
    path("<slug:slug>/regions/<str:code>/", views.region, name="region"),
    path("<slug:slug>/departements/<str:code>/", views.departement, name="departement"),
    path("<slug:slug>/laureats/<str:identifiant>/", views.laureat, name="laureat"),
    path("<slug:slug>/laureats/<str:identifiant>/modifier/", views.laureat_modifier, name="laureat_modifier"),
    path(
        "<slug:slug>/laureats/<str:identifiant>/historique/",
        views.laureat_historique,
        name="laureat_historique",
    ),
    path(
        "<slug:slug>/laureats/<str:identifiant>/jalons/<int:pk>/",
        views.jalon_modifier,
        name="jalon_modifier",
    ),
]
