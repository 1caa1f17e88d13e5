from django.urls import path

from . import history_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("sante/", views.health, name="health"),
    path(
        "historique/<str:app_label>/<str:model_name>/<str:pk>/", history_views.record_history, name="history"
    ),
    path("historique/<str:app_label>/<str:model_name>/", history_views.deleted_list, name="deleted"),
    path(
        "historique/<str:app_label>/<str:model_name>/<str:pk>/restaurer/",
        history_views.restore,
        name="restore",
    ),
]
