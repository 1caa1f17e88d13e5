from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pvd.core"
    label = "core"
    verbose_name = "Socle"
