from django.apps import AppConfig


class ProjetsConfig(AppConfig):
    name = "pvd.projets"
    label = "projets"
    verbose_name = "Projets"
