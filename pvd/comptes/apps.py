from django.apps import AppConfig


class ComptesConfig(AppConfig):
    name = "pvd.comptes"
    label = "comptes"
    verbose_name = "Comptes"
