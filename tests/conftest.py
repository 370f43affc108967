"""Shared fixtures: real database rows built through the domain models, nothing mocked."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from bugbridge.tracker.models import Membership, Organization, Project, ProjectKey, Role


@pytest.fixture
def organization(db: Any) -> Organization:
    return Organization.objects.create(name="Acme", slug="acme")


@pytest.fixture
def owner(organization: Organization) -> Any:
    user = get_user_model().objects.create_user(
        username="owner", email="owner@example.com", password="correct horse battery"
    )
    Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def project(organization: Organization) -> Project:
    return Project.objects.create(organization=organization, name="Shop", slug="shop")


@pytest.fixture
def project_key(project: Project) -> ProjectKey:
    return ProjectKey.objects.create(project=project)
