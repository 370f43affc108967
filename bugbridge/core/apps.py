from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "bugbridge.core"
    label = "core"

    def ready(self) -> None:
        from bugbridge.core.logging import configure_structlog

        configure_structlog()
