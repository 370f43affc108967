from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "bugbridge.ingest"
    label = "ingest"
