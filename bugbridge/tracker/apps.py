from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "bugbridge.tracker"
    label = "tracker"
