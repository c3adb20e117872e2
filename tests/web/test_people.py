"""People (issue 8): no account takeover by "add user", role grants only in administered centres and
never to oneself, coordinators deploy only their centres' pathways, a held task is its holder's.

Pages, the JSON API and the engine services, on SQLite and PostgreSQL (the ``db_engine`` fixture).
"""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select

from engine.casework import cases, inbox
from engine.casework.drafts import save_draft
from engine.errors import PermissionDenied, ValidationFailed
from engine.people import administration
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, get_user, grant_role, issue_token, principal_for
from engine.store.models import AuditEvent, CaseTask, Membership, Notification, PathwayVersion, User
from tests.engine.conftest import mini_pathway
from tests.web import api_fixtures as fx
from tests.web.conftest import PASSWORD, html_of, login, username

api, api_app, tokens = fx.api, fx.api_app, fx.tokens

NEW_PASSWORD = "an admin's chosen password"


def _signs_in(app, name: str, password: str) -> bool:
    response = app.test_client().post("/login", data={"username": name, "password": password})
    return response.status_code == 302


def _role_of(services, name: str, centre_id: int) -> str | None:
    with services.uow() as uow:
        return uow.session.scalar(
            select(Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.username == name, Membership.centre_id == centre_id)
        )


# --- 1. account takeover and self-grants -----------------------------------------------------------


@pytest.mark.parametrize("own", [True, False], ids=["own-centre", "other-centre"])
def test_adding_an_existing_username_never_touches_that_account(app, services, as_role, world, own):
    admin = as_role("admin")
    victim = username("social_worker", own)
    response = admin.post(
        "/admin/users",
        data={"username": victim, "password": NEW_PASSWORD, "centre": "kc-test", "role": "psychologist"},
    )
    assert response.status_code == 422
    assert "Това потребителско име е заето" in html_of(response)  # in the reader's language
    assert _signs_in(app, victim, PASSWORD)  # their own password still works
    assert not _signs_in(app, victim, NEW_PASSWORD)  # the administrator's does not
    centre = world.own_centre_id if own else world.other_centre_id
    assert _role_of(services, victim, centre) == "social_worker"
    assert _role_of(services, victim, world.own_centre_id if not own else world.other_centre_id) is None


def test_an_administrator_cannot_give_itself_a_casework_role(services, as_role, world):
    admin = as_role("admin")
    myself = username("admin")
    for centre in ("kc-test", "kc-other"):
        made = admin.post(
            "/admin/users",
            data={"username": myself, "password": NEW_PASSWORD, "centre": centre, "role": "social_worker"},
        )
        granted = admin.post(
            "/admin/roles",
            data={"grant_username": myself, "grant_centre": centre, "grant_role": "social_worker"},
        )
        assert made.status_code == granted.status_code == 422
    assert "Не можете да дадете роля на себе си" in html_of(
        admin.post(
            "/admin/roles",
            data={"grant_username": myself, "grant_centre": "kc-test", "grant_role": "manager"},
        )
    )
    assert _role_of(services, myself, world.own_centre_id) == "admin"
    assert _role_of(services, myself, world.other_centre_id) is None
    assert admin.get(f"/cases/{world.own_case}").status_code == 404  # still no case content
    assert admin.get(f"/cases/{world.other_case}").status_code == 404


def test_an_administrator_manages_only_the_centres_it_administers(services, as_role, world):
    admin = as_role("admin")
    page = html_of(admin.get("/admin"))
    assert username("psychologist") in page and username("psychologist", own=False) not in page
    assert "КЦ Друг" not in page  # neither in the list nor in the forms' centre choices
    other = admin.post(
        "/admin/users",
        data={"username": "new.one", "password": NEW_PASSWORD, "centre": "kc-other", "role": "educator"},
    )
    assert other.status_code == 422 and "Не администрирате този център" in html_of(other)
    foreign = username("psychologist", own=False)
    assert admin.post(f"/admin/users/{foreign}/active", data={"active": "no"}).status_code == 404
    grant = admin.post(
        "/admin/roles", data={"grant_username": foreign, "grant_centre": "kc-other", "grant_role": "educator"}
    )
    assert grant.status_code == 422
    with services.uow() as uow:
        assert uow.session.scalar(select(User.active).where(User.username == foreign))
        assert uow.session.scalar(select(User).where(User.username == "new.one")) is None


def test_a_user_of_two_centres_is_deactivated_only_by_an_administrator_of_both(services, as_role, world):
    with services.uow() as uow:
        grant_role(uow, SYSTEM, username("psychologist", own=False), "kc-test", "psychologist")
        uow.commit()
    admin = as_role("admin")
    both = username("psychologist", own=False)
    assert admin.post(f"/admin/users/{both}/active", data={"active": "no"}).status_code == 403
    with services.uow() as uow:
        assert uow.session.scalar(select(User.active).where(User.username == both))


def test_every_role_grant_is_audited_and_tells_the_centres_managers(app, services, as_role, world):
    admin = as_role("admin")
    response = admin.post(
        "/admin/roles",
        data={
            "grant_username": username("psychologist"),
            "grant_centre": "kc-test",
            "grant_role": "case_lead",
        },
    )
    assert response.status_code == 302
    created = admin.post(
        "/admin/users",
        data={"username": "new.worker", "password": NEW_PASSWORD, "centre": "kc-test", "role": "educator"},
    )
    assert created.status_code == 302
    with services.uow() as uow:
        grants = [
            (g.actor, g.subject, g.detail["role"], g.detail["previous"])
            for g in uow.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "role.grant", AuditEvent.actor != "system")
                .order_by(AuditEvent.id)
            )
        ]
        texts = uow.session.scalars(
            select(Notification.params)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == "role.granted", User.username == username("manager"))
            .order_by(Notification.id)
        ).all()
        others = uow.session.scalars(
            select(Notification.id)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == "role.granted", User.username != username("manager"))
        ).all()
    assert grants == [
        (username("admin"), username("psychologist"), "case_lead", "psychologist"),
        (username("admin"), "new.worker", "educator", ""),
    ]
    assert texts == [
        {"centre": "КЦ Тест", "username": username("psychologist"), "role": "case_lead"},
        {"centre": "КЦ Тест", "username": "new.worker", "role": "educator"},
    ]
    assert others == []  # neither the other centre's managers nor anybody else
    manager = app.test_client()
    login(manager, username("manager"))
    assert "new.worker получи ролята „Възпитател“" in html_of(manager.get("/notifications"))


def test_admin_and_casework_roles_are_never_held_at_one_centre(services, as_role, world):
    admin = as_role("admin")
    for name, role in ((username("psychologist"), "admin"), (username("coordinator"), "admin")):
        refused = admin.post(
            "/admin/roles", data={"grant_username": name, "grant_centre": "kc-test", "grant_role": role}
        )
        assert refused.status_code == 422 and "не се дават на един човек в един център" in html_of(refused)
    with services.uow() as uow, pytest.raises(ValidationFailed) as error:
        grant_role(uow, SYSTEM, username("admin", own=False), "kc-other", "social_worker")
    assert "role" in error.value.fields
    assert _role_of(services, username("psychologist"), world.own_centre_id) == "psychologist"


def test_a_new_centre_is_administered_by_its_creator(services, as_role, world):
    admin = as_role("admin")
    created = admin.post(
        "/admin/centres", data={"code": "kc-new", "name": "КЦ Нов", "kind": "crisis_centre", "capacity": "8"}
    )
    assert created.status_code == 302
    made = admin.post(
        "/admin/users",
        data={"username": "first.one", "password": NEW_PASSWORD, "centre": "kc-new", "role": "manager"},
    )
    assert made.status_code == 302
    with services.uow() as uow:
        admin_user = get_user(uow, username("admin"))
        assert {m.centre.code: m.role for m in admin_user.memberships} == {
            "kc-test": "admin",
            "kc-new": "admin",
        }


def test_the_engine_refuses_the_same_without_a_page(services, world):
    with services.uow() as uow:
        admin = principal_for(get_user(uow, username("admin")))
        with pytest.raises(ValidationFailed):
            administration.add_user(
                uow, admin, username("manager", own=False), NEW_PASSWORD, "kc-test", "admin"
            )
        with pytest.raises(ValidationFailed):
            administration.grant_role(uow, admin, username("admin"), "kc-test", "social_worker")
        with pytest.raises(PermissionDenied):
            administration.add_user(
                uow,
                principal_for(get_user(uow, username("manager"))),
                "x.y",
                NEW_PASSWORD,
                "kc-test",
                "admin",
            )
        with pytest.raises(ValidationFailed):
            create_user(uow, SYSTEM, username("admin"), NEW_PASSWORD, "kc-test", "social_worker")


# --- 3. a coordinator deploys only pathways its centres use ----------------------------------------


@pytest.fixture
def cop(services, world):
    """A community support centre (ЦОП) with its own coordinator and social worker."""
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "cop-test", "ЦОП Тест", "community_support", 60, "ул. Трета 3")
        create_user(uow, SYSTEM, "c-coordinator", PASSWORD, "cop-test", "coordinator")
        uow.commit()


def _versions(services, key: str) -> int:
    with services.uow() as uow:
        return len(
            uow.session.scalars(
                select(PathwayVersion.id).join(PathwayVersion.pathway).where(PathwayVersion.process_id == key)
            ).all()
        )


def test_a_cop_coordinator_cannot_deploy_the_crisis_centres_pathway(app, services, world, cop):
    before = _versions(services, "crisis_centre_adult")
    client = app.test_client()
    login(client, "c-coordinator")
    changed = mini_pathway(replace={'name="Initial assessment"': 'name="Нещо друго"'})
    refused = client.post("/pathways", data={"file": (BytesIO(changed), "adult.bpmn")})
    assert refused.status_code == 403
    own = client.post("/pathways", data={"file": (BytesIO(mini_pathway("community_support")), "cop.bpmn")})
    assert own.status_code == 302
    assert _versions(services, "crisis_centre_adult") == before
    assert _versions(services, "community_support") == 1
    # the crisis centre's coordinator deploys its own pathway, but not the ЦОП's
    kc = app.test_client()
    login(kc, username("coordinator"))
    assert kc.post("/pathways", data={"file": (BytesIO(changed), "adult.bpmn")}).status_code == 302
    cop_changed = mini_pathway("community_support", replace={'name="Initial assessment"': 'name="Друго"'})
    assert kc.post("/pathways", data={"file": (BytesIO(cop_changed), "cop.bpmn")}).status_code == 403


def test_the_api_refuses_another_kinds_pathway(api, services, cop):
    with services.uow() as uow:
        token = issue_token(uow, SYSTEM, "c-coordinator")
        uow.commit()
    changed = mini_pathway(replace={'name="Initial assessment"': 'name="Нещо друго"'})
    response = api.client.post(
        f"{fx.API}/pathways",
        data=changed,
        headers={**fx.bearer(token), "Content-Type": "application/xml"},
    )
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert "uses this pathway" in response.get_json()["message"]
    assert _versions(services, "crisis_centre_adult") == 1


# --- 9. a task held by a colleague -----------------------------------------------------------------


def test_a_colleague_of_the_same_role_cannot_complete_or_draft_a_held_task(app, api, services, world):
    with services.uow() as uow:
        create_user(uow, SYSTEM, "a-social-2", PASSWORD, "kc-test", "social_worker", "Втора")
        colleague_token = issue_token(uow, SYSTEM, "a-social-2")
        holder = principal_for(get_user(uow, username("social_worker")))
        inbox.claim(uow, holder, world.own_task)
        uow.commit()
    colleague = app.test_client()
    login(colleague, "a-social-2")
    form = {"f_note": "Не е моя.", "f_risk": "low"}
    assert colleague.post(f"/tasks/{world.own_task}/draft", data=form).status_code == 403
    assert colleague.post(f"/tasks/{world.own_task}/complete", data=form).status_code == 403
    body = {"data": {"note": "Не е моя.", "risk": "low"}}
    refused = api.post(f"/tasks/{world.own_task}/complete", headers=fx.bearer(colleague_token), json=body)
    assert refused.status_code == 403
    with services.uow() as uow:
        other = principal_for(get_user(uow, "a-social-2"))
        with pytest.raises(PermissionDenied):
            cases.complete_task(uow, other, world.own_task, body["data"], services.forms)
        with pytest.raises(PermissionDenied):
            save_draft(uow, other, world.own_task, body["data"], services.forms)
    with services.uow() as uow:
        task = uow.session.scalar(select(CaseTask).where(CaseTask.public_id == world.own_task))
        assert task.status == "open" and task.draft is None and task.data is None


def test_a_new_pathway_version_is_told_to_every_centre_that_runs_it(app, services, world):
    def told() -> list[str]:
        with services.uow() as uow:
            query = (
                select(User.username)
                .join(Notification, Notification.user_id == User.id)
                .where(Notification.kind == "pathway.deployed")
            )
            return sorted(uow.session.scalars(query))

    client = app.test_client()
    login(client, username("coordinator"))
    changed = mini_pathway(replace={'name="Initial assessment"': 'name="Първа оценка"'})
    assert client.post("/pathways", data={"file": (BytesIO(changed), "adult.bpmn")}).status_code == 302
    others = {username("manager"), username("manager", False), username("coordinator", False)}
    assert told() == sorted(others)  # both crisis centres; never the one who deployed
    again = client.post("/pathways", data={"file": (BytesIO(changed), "adult.bpmn")})
    assert again.status_code == 302 and told() == sorted(others)  # the same diagram is no new version
