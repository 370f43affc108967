from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "bugbridge.api"
    label = "api"
