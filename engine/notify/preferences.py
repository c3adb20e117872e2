"""Which kinds of notification each user also wants by e-mail; in-app notifications always come.

No row means yes: a new kind reaches everyone with an address until they turn it off.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, select

from engine.errors import ValidationFailed
from engine.notify.messages import KINDS
from engine.store.models import NotificationPreference, User
from engine.store.uow import UnitOfWork


def email_choices(uow: UnitOfWork, user_id: int) -> dict[str, bool]:
    """Every kind, in the declared order, with whether this user gets it by e-mail."""
    off = set(
        uow.session.scalars(
            select(NotificationPreference.kind).where(
                NotificationPreference.user_id == user_id, NotificationPreference.email.is_(False)
            )
        )
    )
    return {kind: kind not in off for kind in KINDS}


def set_email_choices(uow: UnitOfWork, who: Any, wanted: Collection[str]) -> dict[str, bool]:
    """Keep the kinds ``who`` wants by e-mail; every other kind is in-app only for them."""
    user_id = getattr(who, "user_id", None)
    if user_id is None:
        raise ValidationFailed("nobody to keep preferences for", {"user": ["sign in first"]})
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValidationFailed("unknown notification kind", {"email": [f"unknown kind: {unknown[0][:60]}"]})
    uow.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user_id))
    uow.session.add_all(
        NotificationPreference(user_id=user_id, kind=kind, email=False)
        for kind in KINDS
        if kind not in wanted
    )
    uow.session.flush()
    return email_choices(uow, user_id)


def emailed_users(uow: UnitOfWork, users: list[User], kind: str) -> set[int]:
    """The ids of ``users`` who want ``kind`` by e-mail: one query whatever their number."""
    if not users:
        return set()
    ids = [user.id for user in users]
    off = set(
        uow.session.scalars(
            select(NotificationPreference.user_id).where(
                NotificationPreference.user_id.in_(ids),
                NotificationPreference.kind == kind,
                NotificationPreference.email.is_(False),
            )
        )
    )
    return {user_id for user_id in ids if user_id not in off}
