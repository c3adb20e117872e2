"""Administrators edit users and centres: names, roles, password resets (changed at the next sign-in),
places and addresses, search; deactivation asks first; errors are summarised where the eye is."""

from __future__ import annotations

from sqlalchemy import select

from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.users import create_user, grant_role
from engine.store.models import AuditEvent, Centre, User
from tests.web.conftest import PASSWORD, html_of, login, username


def audit(services, action):
    with services.uow() as uow:
        return uow.session.execute(
            select(AuditEvent.actor, AuditEvent.subject, AuditEvent.detail).where(AuditEvent.action == action)
        ).all()


def test_an_admin_renames_a_user_of_their_centre_only(services, as_role, world):
    admin = as_role("admin")
    response = admin.post(
        f"/admin/users/{username('educator')}/name", data={"display_name": "Нова Възпитателка"}
    )
    assert response.status_code == 302
    assert "Нова Възпитателка" in html_of(admin.get("/admin"))
    assert (
        admin.post(f"/admin/users/{username('educator', False)}/name", data={"display_name": "x"}).status_code
        == 404
    )
    assert admin.post(f"/admin/users/{username('admin')}/name", data={"display_name": "x"}).status_code == 403
    assert audit(services, "user.rename") == [(username("admin"), username("educator"), {})]


def test_roles_are_changed_and_removed_but_never_the_last_nor_ones_own(services, as_role, world):
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-third", "КЦ Трети", "crisis_centre", 8, "")
        create_user(uow, SYSTEM, "two-centres", PASSWORD, "kc-test", "medical", "Двама")
        grant_role(uow, SYSTEM, "two-centres", "kc-third", "medical")
        grant_role(uow, SYSTEM, username("admin"), "kc-third", "admin")
        uow.commit()
    admin = as_role("admin")
    last = admin.post(f"/admin/users/{username('medical')}/roles/remove", data={"centre": "kc-test"})
    assert last.status_code == 422 and "единствената роля" in html_of(last)
    removed = admin.post("/admin/users/two-centres/roles/remove", data={"centre": "kc-third"})
    assert removed.status_code == 302
    with services.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == "two-centres"))
        assert [m.centre.code for m in user.memberships] == ["kc-test"]
    [(actor, subject, detail)] = audit(services, "role.remove")
    assert (actor, subject, detail) == (
        username("admin"),
        "two-centres",
        {"centre": "kc-third", "previous": "medical"},
    )
    own = admin.post(f"/admin/users/{username('admin')}/roles/remove", data={"centre": "kc-third"})
    assert own.status_code == 422  # never one's own roles
    # casework and admin roles never at one centre, as before
    mixed = admin.post(
        "/admin/roles",
        data={"grant_username": "two-centres", "grant_centre": "kc-test", "grant_role": "admin"},
    )
    assert mixed.status_code == 422


def test_a_reset_password_must_be_changed_at_the_next_sign_in(app, services, as_role, world):
    admin = as_role("admin")
    page = admin.post(f"/admin/users/{username('social_worker')}/password")
    assert page.status_code == 200
    html = html_of(page)
    temporary = html.split('class="temporary-password">')[1].split("<")[0]
    assert len(temporary) >= 12 and "autofocus" in html
    assert audit(services, "user.password_reset") == [(username("admin"), username("social_worker"), {})]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.6.0.1"
    login(client, username("social_worker"), temporary)
    for path in ("/inbox", f"/cases/{world.own_case}", "/notifications"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", path
    api = client.get("/api/v1/tasks")
    assert api.status_code == 403 and api.get_json()["error"] == "password_change_required"
    changed = client.post(
        "/account/password",
        data={"current_password": temporary, "new_password": "a brand new passphrase of mine"},
    )
    assert changed.status_code == 302
    assert client.get("/inbox").status_code == 200
    with services.uow() as uow:
        assert not uow.session.scalar(
            select(User.must_change_password).where(User.username == username("social_worker"))
        )


def test_only_an_admin_of_every_centre_of_the_user_resets_a_password(as_role, world):
    assert (
        as_role("admin").post(f"/admin/users/{username('social_worker', False)}/password").status_code == 404
    )
    assert as_role("admin").post(f"/admin/users/{username('admin')}/password").status_code == 403
    assert as_role("manager").post(f"/admin/users/{username('social_worker')}/password").status_code == 403


def test_deactivating_asks_first(services, as_role, world):
    admin = as_role("admin")
    asked = admin.post(f"/admin/users/{username('educator')}/active", data={"active": "no"})
    assert asked.status_code == 200 and 'name="confirm" value="yes"' in asked.get_data(as_text=True)
    with services.uow() as uow:
        assert uow.session.scalar(select(User.active).where(User.username == username("educator")))
    done = admin.post(f"/admin/users/{username('educator')}/active", data={"active": "no", "confirm": "yes"})
    assert done.status_code == 302
    with services.uow() as uow:
        assert not uow.session.scalar(select(User.active).where(User.username == username("educator")))


def test_a_centres_places_and_address_are_changed_without_showing_the_address(services, as_role, world):
    admin = as_role("admin")
    html = html_of(admin.get("/admin"))
    assert "ул. Тайна 1" not in html
    kept = admin.post("/admin/centres/kc-test", data={"name": "КЦ Тест", "capacity": "16", "address": ""})
    assert kept.status_code == 302
    moved = admin.post(
        "/admin/centres/kc-test", data={"name": "КЦ Тест", "capacity": "16", "address": "ул. Нова 5"}
    )
    assert moved.status_code == 302
    with services.uow() as uow:
        centre = uow.session.scalar(select(Centre).where(Centre.code == "kc-test"))
        assert (centre.capacity, centre.address) == (16, "ул. Нова 5")
    details = [detail for _, _, detail in audit(services, "centre.update")]
    assert details == [{"changed": ["capacity"]}, {"changed": ["address"]}]  # never the address itself
    bad = admin.post("/admin/centres/kc-test", data={"name": "", "capacity": "0"})
    assert bad.status_code == 422
    html = html_of(bad)
    assert 'id="error-summary"' in html and "autofocus" in html and "Между 1 и 1000 места." in html
    assert 'href="#edit-capacity-kc-test"' in html
    assert admin.post("/admin/centres/kc-other", data={"name": "x", "capacity": "5"}).status_code == 404


def test_users_are_found_by_username_or_name(as_role, world):
    admin = as_role("admin")
    html = html_of(admin.get("/admin?q=psych"))
    assert username("psychologist") in html and username("educator") not in html
    assert username("psychologist", False) not in html  # another centre's users never show
    assert "Няма такъв потребител." in html_of(admin.get("/admin?q=%25nobody%25"))


def test_a_failed_submit_puts_the_error_summary_first(as_role, world):
    response = as_role("admin").post(
        "/admin/users", data={"username": "X", "password": "short", "centre": "kc-test", "role": "educator"}
    )
    assert response.status_code == 422
    html = html_of(response)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#new-username"' in summary and 'href="#new-password"' in summary
