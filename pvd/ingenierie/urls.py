from django.urls import path

from . import views

app_name = "ingenierie"

urlpatterns = [
    path("postes/", views.postes, name="postes"),
    path("postes/region/<str:region>/", views.postes, name="postes_region"),
    path("postes/departement/<str:departement>/", views.postes, name="postes_departement"),
    path("postes/laureat/<int:laureat>/", views.postes, name="postes_laureat"),
    path("postes/nouveau/", views.poste_editer, name="poste_creer"),
    path("postes/<int:pk>/", views.poste, name="poste"),
    path("postes/<int:pk>/modifier/", views.poste_editer, name="poste_modifier"),
    path("postes/<int:pk>/etat/", views.poste_etat, name="poste_etat"),
    path("postes/<int:pk>/demande/", views.demande_deposer, name="demande_deposer"),
    path("laureats/<int:laureat>/operations/nouvelle/", views.operation_creer, name="operation_creer"),
    path("operations/<int:pk>/modifier/", views.operation_modifier, name="operation_modifier"),
    path("demandes/", views.demandes, name="demandes"),
    path("demandes/a-instruire/", views.demandes, {"a_instruire": True}, name="a_instruire"),
    path("demandes/<int:pk>/", views.demande, name="cofinancement"),
    path("demandes/<int:pk>/<str:action>/", views.demande_action, name="demande_action"),
    path("enveloppes/", views.enveloppes, name="enveloppes"),
    path("enveloppes/nouvelle/", views.enveloppe_editer, name="enveloppe_creer"),
    path("enveloppes/<int:pk>/", views.enveloppe, name="enveloppe"),
    path("enveloppes/<int:pk>/modifier/", views.enveloppe_editer, name="enveloppe_modifier"),
    path("simulateur/", views.simulateur, name="simulateur"),
]
