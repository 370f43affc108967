"""The web pages through the Django test client: what a person sees and what each form does."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from bugbridge.api.models import ApiToken
from bugbridge.jira.models import SiteBinding, StatusMapping, UserMapping
from bugbridge.sync.models import ChangeState, GroupLink, OutboundChange
from bugbridge.tracker.models import Activity, Group, Membership, Note, Project, Role
from tests.web.conftest import PASSWORD, World, make_event, make_group

pytestmark = pytest.mark.django_db


# -- accounts -------------------------------------------------------------------------------


def test_first_run_creates_the_organization_and_admin(client: Any, fast_passwords: None) -> None:
    assert client.get("/login/").url == "/setup/"
    response = client.post(
        "/setup/",
        {"organization": "Acme", "username": "ada", "email": "ada@x.test", "password": PASSWORD},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user__username="ada")
    assert (membership.organization.name, membership.role) == ("Acme", Role.OWNER)
    assert client.get("/setup/").url == "/login/"


def test_first_run_shows_errors_next_to_fields(client: Any, fast_passwords: None) -> None:
    data = {"organization": "Acme", "username": "ada", "email": "nope", "password": PASSWORD}
    response = client.post("/setup/", data)
    assert response.status_code == 400
    assert b"Enter a valid e-mail address." in response.content
    assert not get_user_model().objects.exists()


def test_sign_in_and_out(client: Any, world: World) -> None:
    bad = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert b"not right" in bad.content
    good = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert good.status_code == 302
    assert client.get("/issues/").status_code == 200
    client.post("/logout/")
    assert client.get("/issues/").status_code == 302


def test_password_change(alice_client: Any, world: World) -> None:
    wrong = alice_client.post(
        "/account/password/", {"old_password": "x", "password": "a new long pass"}
    )
    assert b"current password is not right" in wrong.content
    ok = alice_client.post(
        "/account/password/", {"old_password": PASSWORD, "password": "a new long pass"}
    )
    assert b"was changed" in ok.content
    world.alice.refresh_from_db()
    assert world.alice.check_password("a new long pass")


def test_createuser_command_with_flags(db: Any, fast_passwords: None) -> None:
    out = io.StringIO()
    call_command(
        "createuser",
        "--username=ops",
        "--email=ops@x.test",
        f"--password={PASSWORD}",
        "--organization=Initech",
        stdout=out,
    )
    assert "owner of Initech" in out.getvalue()
    assert Membership.objects.get(user__username="ops").role == Role.OWNER
    with pytest.raises(CommandError, match="username"):
        call_command(
            "createuser",
            "--username=ops",
            "--email=o@x.test",
            f"--password={PASSWORD}",
            "--organization=Initech",
        )
    with pytest.raises(CommandError, match="--email is required"):
        call_command("createuser", "--username=x", "--no-input")


def test_createuser_command_prompts(db: Any, fast_passwords: None, monkeypatch: Any) -> None:
    answers = iter(["eve", "eve@x.test", "Umbrella"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    call_command("createuser", stdout=io.StringIO())
    assert Membership.objects.get(user__username="eve").organization.name == "Umbrella"


# -- projects -------------------------------------------------------------------------------


def test_create_project_shows_dsn_and_snippet(alice_client: Any, world: World) -> None:
    response = alice_client.post("/projects/", {"organization": world.org_a.pk, "name": "API"})
    project = Project.objects.get(name="API")
    assert response.url == f"/projects/{project.pk}/"
    page = alice_client.get(response.url).content.decode()
    key = project.keys.get()
    assert f"http://{key.public_key}@127.0.0.1:8000/{project.pk}" in page
    assert "sentry_sdk.init(" in page
    duplicate = alice_client.post("/projects/", {"organization": world.org_a.pk, "name": "API"})
    assert duplicate.status_code == 400 and b"already a project called API" in duplicate.content


def test_rotate_key(alice_client: Any, world: World) -> None:
    old = world.project_a.keys.get()
    alice_client.post(f"/projects/{world.project_a.pk}/keys/rotate/")
    old.refresh_from_db()
    assert not old.is_active
    assert world.project_a.keys.filter(is_active=True).count() == 1


# -- issues ---------------------------------------------------------------------------------


def test_issue_list_filters_and_shows_jira_keys(alice_client: Any, world: World) -> None:
    other = make_group(world.project_a, "TypeError: bad operand")
    make_event(other, environment="staging")
    page = alice_client.get("/issues/").content.decode()
    assert "ZeroDivisionError" in page and "TypeError" in page and "OPS-1 · To Do" in page
    assert "KeyError" not in page  # organization B's group
    staging = alice_client.get("/issues/?environment=staging").content.decode()
    assert "TypeError" in staging and "ZeroDivisionError" not in staging
    unlinked = alice_client.get("/issues/?linked=no").content.decode()
    assert "TypeError" in unlinked and "ZeroDivisionError" not in unlinked
    found = alice_client.get("/issues/?query=operand").content.decode()
    assert "TypeError" in found and "ZeroDivisionError" not in found
    for sort in ("events", "users", "last_seen"):
        assert alice_client.get(f"/issues/?sort={sort}&status=all").status_code == 200


def test_issue_list_paginates(alice_client: Any, world: World) -> None:
    for i in range(30):
        make_group(world.project_a, f"Error number {i}")
    first = alice_client.get("/issues/").content.decode()
    assert "Page 1 of 2" in first
    assert "Page 2 of 2" in alice_client.get("/issues/?page=2").content.decode()


def test_group_page_shows_trace_chart_tags_and_sync_state(alice_client: Any, world: World) -> None:
    make_event(world.group_a, days_ago=3, release="shop@0.9")
    page = alice_client.get(f"/issues/{world.group_a.pk}/").content.decode()
    assert page.index("shop/checkout.py") < page.index("django/core/handlers/base.py")
    assert "return sum(items) / count" in page
    assert '<svg class="chart"' in page and "<rect" in page
    assert "browser" in page and "Firefox" in page
    assert "shop@0.9" in page
    assert "Field &#x27;assignee&#x27; cannot be set." in page and "Retry" in page


def test_assign_resolve_ignore_through_services(alice_client: Any, world: World) -> None:
    url = f"/issues/{world.group_a.pk}"
    alice_client.post(f"{url}/assign/", {"assignee": world.carol.pk})
    alice_client.post(f"{url}/status/", {"status": "resolved"})
    group = Group.objects.get(pk=world.group_a.pk)
    assert (group.assignee, group.status) == (world.carol, "resolved")
    trail = alice_client.get(f"{url}/").content.decode()
    assert "assigned it to carol" in trail and "resolved it" in trail
    refused = alice_client.post(f"{url}/assign/", {"assignee": world.bob.pk})
    assert (
        refused.status_code == 400 and b"Choose a member of this organization." in refused.content
    )


def test_notes_add_edit_delete(alice_client: Any, world: World) -> None:
    url = f"/issues/{world.group_a.pk}"
    empty = alice_client.post(f"{url}/notes/", {"body": "  "})
    assert empty.status_code == 400 and b"A note needs some text." in empty.content
    alice_client.post(f"{url}/notes/", {"body": "Deploy 1.2 fixes it"})
    note = Note.objects.get(body="Deploy 1.2 fixes it")
    alice_client.post(f"/notes/{note.pk}/edit/", {"body": "Deploy 1.3 fixes it"})
    assert Note.objects.get(pk=note.pk).body == "Deploy 1.3 fixes it"
    alice_client.post(f"/notes/{note.pk}/delete/")
    assert Note.objects.get(pk=note.pk).is_deleted
    kinds = set(Activity.objects.filter(group=world.group_a).values_list("kind", flat=True))
    assert {"note_added", "note_edited", "note_deleted"} <= kinds


def test_unlink_and_retry(alice_client: Any, world: World) -> None:
    alice_client.post(f"/sync/changes/{world.change_a.pk}/retry/", {"next": "/sync/"})
    assert OutboundChange.objects.get(pk=world.change_a.pk).state == ChangeState.PENDING
    alice_client.post(f"/links/{world.link_a.pk}/unlink/")
    assert not GroupLink.objects.filter(pk=world.link_a.pk).exists()


def test_retry_of_a_change_that_is_not_failed_says_so(alice_client: Any, world: World) -> None:
    OutboundChange.objects.filter(pk=world.change_a.pk).update(state=ChangeState.PENDING)
    response = alice_client.post(f"/sync/changes/{world.change_a.pk}/retry/", follow=True)
    assert b"Only a failed change can be retried" in response.content


# -- settings -------------------------------------------------------------------------------


def test_binding_page_shows_webhook_url_and_secret(alice_client: Any, world: World) -> None:
    page = alice_client.get(f"/settings/integrations/{world.binding_a.pk}/").content.decode()
    assert str(world.site_a.public_id) in page
    assert world.site_a.webhook_secret in page


def test_switches_status_maps_user_maps(alice_client: Any, world: World) -> None:
    base = f"/settings/integrations/{world.binding_a.pk}"
    alice_client.post(
        f"{base}/switches/", {"sync_status_outbound": "on", "resolve_strategy": "now"}
    )
    binding = SiteBinding.objects.get(pk=world.binding_a.pk)
    assert binding.sync_status_outbound and not binding.sync_comments_outbound
    alice_client.post(
        f"{base}/status-maps/",
        {"jira_project_key": "ops", "resolved_status_id": "10001", "inbound_resolved": "10001, 3"},
    )
    mapping = StatusMapping.objects.get(binding=binding)
    assert (mapping.jira_project_key, mapping.inbound_resolved_status_ids) == (
        "OPS",
        ["10001", "3"],
    )
    missing = alice_client.post(f"{base}/status-maps/", {"jira_project_key": ""})
    assert missing.status_code == 400 and b"Name the Jira project" in missing.content
    alice_client.post(f"{base}/user-maps/", {"user": world.carol.pk, "account_id": "acc-1"})
    assert UserMapping.objects.get(binding=binding).account_id == "acc-1"
    clash = alice_client.post(f"{base}/user-maps/", {"user": world.alice.pk, "account_id": "acc-1"})
    assert clash.status_code == 400 and b"already mapped" in clash.content


def test_api_token_shown_once_then_revoked(alice_client: Any, world: World) -> None:
    page = alice_client.post("/settings/tokens/", {"name": "deploy"}).content.decode()
    token = ApiToken.objects.get(user=world.alice)
    assert "bbt_" in page and "not shown again" in page
    assert "bbt_" not in alice_client.get("/settings/tokens/").content.decode().replace(
        token.prefix, ""
    )
    alice_client.post(f"/settings/tokens/{token.pk}/revoke/")
    assert not ApiToken.objects.exists()


def test_sync_health_lists_failed_with_reason(alice_client: Any, world: World) -> None:
    page = alice_client.get("/sync/").content.decode()
    assert "acme" in page and "cannot be set" in page and "globex" not in page


def test_resolve_in_next_release(alice_client: Any, world: World) -> None:
    Group.objects.filter(pk=world.group_a.pk).update(last_release="shop@1.0")
    page = alice_client.get(f"/issues/{world.group_a.pk}/").content.decode()
    assert "Resolve in next release" in page
    alice_client.post(
        f"/issues/{world.group_a.pk}/status/", {"status": "resolved", "in_release": "shop@1.0"}
    )
    group = Group.objects.get(pk=world.group_a.pk)
    assert (group.status, group.resolved_in_release) == ("resolved", "shop@1.0")


def test_jira_panel_polls_while_a_change_is_pending(alice_client: Any, world: World) -> None:
    url = f"/issues/{world.group_a.pk}/jira/panel/"
    failed = alice_client.get(url).content.decode()
    assert "failed" in failed and "every 3s" not in failed
    OutboundChange.objects.filter(pk=world.change_a.pk).update(state=ChangeState.PENDING)
    pending = alice_client.get(url).content.decode()
    assert "pending (1)" in pending and 'hx-trigger="every 3s"' in pending


def test_issue_list_and_group_page_queries_do_not_grow_with_rows(
    alice_client: Any, world: World, django_assert_max_num_queries: Any
) -> None:
    for i in range(20):
        group = make_group(world.project_a, f"Error {i}", assignee=world.carol)
        make_event(group)
    with django_assert_max_num_queries(15):
        assert alice_client.get("/issues/").status_code == 200
    for _ in range(20):
        make_event(world.group_a)
    with django_assert_max_num_queries(30):
        assert alice_client.get(f"/issues/{world.group_a.pk}/").status_code == 200
