"""Tables of Casepath, one module per area; import them from here. Migrations in ``migrations/``
must match these (a test compares them)."""

from __future__ import annotations

from engine.store.models.casefile import (
    CaseAttachment,
    CaseLink,
    CaseNote,
    CaseNoteRevision,
    NotificationPreference,
    SavedFilter,
    TaskComment,
)
from engine.store.models.core import (
    NAMING,
    ApiToken,
    AuditEvent,
    Base,
    Case,
    CaseCounter,
    CaseTask,
    Centre,
    Deadline,
    Membership,
    Notification,
    OutboxEmail,
    Pathway,
    PathwayVersion,
    SignInThrottle,
    SweepStatus,
    User,
    UTCDateTime,
    new_public_id,
    new_security_stamp,
)
from engine.store.models.documents import CaseDocument, DocumentCounter
from engine.store.models.forms import FormDraft, FormVersion, PathwayVersionForm
from engine.store.models.migration import MigrationBatch, MigrationCase
from engine.store.models.places import OccupancyDay, Place, PlaceStay, Room, TurnAway, WaitingEntry
from engine.store.models.studio import PathwayApproval, PathwayDraft

__all__ = [
    "NAMING",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Case",
    "CaseAttachment",
    "CaseCounter",
    "CaseDocument",
    "CaseLink",
    "CaseNote",
    "CaseNoteRevision",
    "CaseTask",
    "Centre",
    "Deadline",
    "DocumentCounter",
    "FormDraft",
    "FormVersion",
    "Membership",
    "MigrationBatch",
    "MigrationCase",
    "Notification",
    "NotificationPreference",
    "OccupancyDay",
    "OutboxEmail",
    "Pathway",
    "PathwayApproval",
    "PathwayDraft",
    "PathwayVersion",
    "PathwayVersionForm",
    "Place",
    "PlaceStay",
    "Room",
    "SavedFilter",
    "SignInThrottle",
    "SweepStatus",
    "TaskComment",
    "TurnAway",
    "UTCDateTime",
    "User",
    "WaitingEntry",
    "new_public_id",
    "new_security_stamp",
]
