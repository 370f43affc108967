"""Why an ingest request was refused: one exception carrying the HTTP status and a reason."""

from __future__ import annotations


class IngestError(Exception):
    """A refused request. `reason` is a stable slug for logs and metrics, `detail` is for people."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


def bad_request(reason: str, detail: str) -> IngestError:
    return IngestError(400, reason, detail)
