from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bugbridge.web"
    label = "web"
