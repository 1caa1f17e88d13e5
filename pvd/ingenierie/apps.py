from django.apps import AppConfig


class IngenierieConfig(AppConfig):
    name = "pvd.ingenierie"
    label = "ingenierie"
    verbose_name = "Ingénierie"
