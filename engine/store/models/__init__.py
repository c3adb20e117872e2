"""Tables of Casepath, one module per area; import them from here. Migrations in ``migrations/``
must match these (a test compares them)."""

from __future__ import annotations

from engine.store.models.casefile import (
    CaseAttachment as CaseAttachment,
)
from engine.store.models.casefile import (
    CaseNote as CaseNote,
)
from engine.store.models.casefile import (
    CaseNoteRevision as CaseNoteRevision,
)
from engine.store.models.casefile import (
    NotificationPreference as NotificationPreference,
)
from engine.store.models.casefile import (
    SavedFilter as SavedFilter,
)
from engine.store.models.casefile import (
    TaskComment as TaskComment,
)
from engine.store.models.core import (
    NAMING as NAMING,
)
from engine.store.models.core import (
    ApiToken as ApiToken,
)
from engine.store.models.core import (
    AuditEvent as AuditEvent,
)
from engine.store.models.core import (
    Base as Base,
)
from engine.store.models.core import (
    Case as Case,
)
from engine.store.models.core import (
    CaseCounter as CaseCounter,
)
from engine.store.models.core import (
    CaseTask as CaseTask,
)
from engine.store.models.core import (
    Centre as Centre,
)
from engine.store.models.core import (
    Deadline as Deadline,
)
from engine.store.models.core import (
    Membership as Membership,
)
from engine.store.models.core import (
    Notification as Notification,
)
from engine.store.models.core import (
    OutboxEmail as OutboxEmail,
)
from engine.store.models.core import (
    Pathway as Pathway,
)
from engine.store.models.core import (
    PathwayVersion as PathwayVersion,
)
from engine.store.models.core import (
    SignInThrottle as SignInThrottle,
)
from engine.store.models.core import (
    SweepStatus as SweepStatus,
)
from engine.store.models.core import (
    User as User,
)
from engine.store.models.core import (
    UTCDateTime as UTCDateTime,
)
from engine.store.models.core import (
    new_public_id as new_public_id,
)
from engine.store.models.core import (
    new_security_stamp as new_security_stamp,
)
