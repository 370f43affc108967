from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "bugbridge.sync"
    label = "sync"
