from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "pvd.api"
    label = "api"
    verbose_name = "API"
