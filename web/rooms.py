"""The rooms page (``/centres/<code>/rooms``): a centre's managers and administrators add, rename and
remove rooms and places and set who a place is for. It shows whether a place is taken, never by whom."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import ValidationFailed
from engine.people import rooms
from engine.people.places import OCCUPANTS
from web.db import discard_changes, reads_only, request_uow
from web.field_messages import translated
from web.security import current_principal, require_sign_in

bp = Blueprint("rooms", __name__)
bp.before_request(require_sign_in)


def _render(code: str, form: str = "", errors: dict[str, list[str]] | None = None, status: int = 200) -> Any:
    """The page; after a refused change, ``form`` names the form whose ``errors`` are shown (and what
    was typed in it, read back from the request)."""
    centre, listed = rooms.list_rooms(request_uow(), current_principal(), code)
    page = render_template(
        "rooms.html",
        centre=centre,
        rooms=listed,
        occupants=OCCUPANTS,
        places_count=sum(len(room.places) for room in listed),
        form=form,
        errors=translated(errors or {}),
        typed=request.form if form else {},
    )
    return page, status


@bp.get("/centres/<code>/rooms")
@reads_only
def index(code: str) -> Any:
    return _render(code)


def _done(code: str, message: str, anchor: str = "") -> Any:
    flash(message, "success")
    return redirect(url_for("rooms.index", code=code, _anchor=anchor or None))


def _text(name: str) -> str:
    return request.form.get(name, "")[:200]


def _checked(name: str) -> bool:
    return request.form.get(name) == "yes"


def _refused(code: str, form: str, error: ValidationFailed) -> Any:
    discard_changes()
    return _render(code, form, error.fields, 422)


@bp.post("/centres/<code>/rooms")
def add_room(code: str) -> Any:
    try:
        room = rooms.add_room(request_uow(), current_principal(), code, _text("name"), _checked("family"))
    except ValidationFailed as error:
        return _refused(code, "room-new", error)
    return _done(code, _("The room %(name)s is added.", name=room.name), f"room-{room.id}")


@bp.post("/centres/<code>/rooms/<int:room_id>")
def change_room(code: str, room_id: int) -> Any:
    who, name, family = current_principal(), _text("name"), _checked("family")
    try:
        room = rooms.change_room(request_uow(), who, code, room_id, name, family)
    except ValidationFailed as error:
        return _refused(code, f"room-{room_id}", error)
    return _done(code, _("The room %(name)s is saved.", name=room.name), f"room-{room.id}")


@bp.post("/centres/<code>/rooms/<int:room_id>/remove")
def remove_room(code: str, room_id: int) -> Any:
    try:
        rooms.remove_room(request_uow(), current_principal(), code, room_id)
    except ValidationFailed as error:
        return _refused(code, f"room-{room_id}", error)
    return _done(code, _("The room is removed."))


@bp.post("/centres/<code>/rooms/<int:room_id>/places")
def add_place(code: str, room_id: int) -> Any:
    who = current_principal()
    try:
        place = rooms.add_place(
            request_uow(), who, code, room_id, _text("label"), _text("occupant"), _checked("women_only")
        )
    except ValidationFailed as error:
        return _refused(code, f"place-new-{room_id}", error)
    return _done(code, _("The place %(label)s is added.", label=place.label), f"room-{room_id}")


@bp.post("/centres/<code>/places/<int:place_id>")
def change_place(code: str, place_id: int) -> Any:
    who = current_principal()
    try:
        place = rooms.change_place(
            request_uow(), who, code, place_id, _text("label"), _text("occupant"), _checked("women_only")
        )
    except ValidationFailed as error:
        return _refused(code, f"place-{place_id}", error)
    return _done(code, _("The place %(label)s is saved.", label=place.label), f"room-{place.room_id}")


@bp.post("/centres/<code>/places/<int:place_id>/remove")
def remove_place(code: str, place_id: int) -> Any:
    try:
        rooms.remove_place(request_uow(), current_principal(), code, place_id)
    except ValidationFailed as error:
        return _refused(code, f"place-{place_id}", error)
    return _done(code, _("The place is removed."))
