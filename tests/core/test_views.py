from __future__ import annotations

from typing import Any

from django.test import Client


def test_unknown_address_says_so_without_internal_names(client: Client, owner: Any) -> None:
    client.force_login(owner)

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"There is nothing at this address." in response.content
    assert b"Resolver404" not in response.content


def test_healthz_answers_from_the_database(client: Client, db: Any) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
