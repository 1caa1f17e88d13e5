from django.urls import path

from . import views

app_name = "projets"

urlpatterns = [
    path("", views.fiches, name="fiches"),
    path("agregats/", views.agregats, name="agregats"),
    path("agregats/<str:niveau>/<str:code>/", views.agregats, name="agregats_territoire"),
    path("modele-import.xlsx", views.modele_import, name="modele_import"),
    path("laureat/<int:laureat_id>/", views.projet, name="projet"),
    path("laureat/<int:laureat_id>/modifier/", views.projet_edit, name="projet_edit"),
    path("laureat/<int:laureat_id>/activite/", views.activite, name="activite"),
    path("laureat/<int:laureat_id>/export.xlsx", views.projet_export, name="projet_export"),
    path("laureat/<int:laureat_id>/import/", views.projet_import, name="projet_import"),
    path("laureat/<int:laureat_id>/fiches/nouvelle/", views.fiche_create, name="fiche_create"),
    path("fiches/<int:pk>/", views.fiche, name="fiche"),
    path("fiches/<int:pk>/modifier/", views.fiche_edit, name="fiche_edit"),
    path("fiches/<int:pk>/supprimer/", views.fiche_delete, name="fiche_delete"),
    path("fiches/<int:pk>/statut/", views.fiche_statut, name="fiche_statut"),
    path("fiches/<int:pk>/commentaires/", views.fiche_commentaire, name="fiche_commentaire"),
    path("fiches/<int:pk>/<str:kind>/nouveau/", views.ligne_create, name="ligne_create"),
    path("lignes/<str:kind>/<int:line_pk>/modifier/", views.ligne_edit, name="ligne_edit"),
    path("lignes/<str:kind>/<int:line_pk>/supprimer/", views.ligne_delete, name="ligne_delete"),
]
