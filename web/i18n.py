"""Language and dates: Bulgarian by default, English available; every date shown in Europe/Sofia."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, session
from flask_babel import Babel, format_date, format_decimal, format_time, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.bpmn.properties import ANCHORS, STARTED
from engine.bpmn.timers import is_cycle_literal
from engine.casework.documents.kinds import find_kind
from engine.clock import SOFIA, days_between, parse_duration
from engine.people.users import LOCALES
from web import labels
from web.db import current_services

babel = Babel()


def select_locale() -> str:
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    user_locale = getattr(current_user, "locale", "")
    if user_locale in LOCALES:
        return str(user_locale)
    return current_services().settings.default_locale


def locale() -> str:
    found = get_locale()
    return str(found.language) if found is not None else "bg"


def show_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SOFIA).date()
    return str(format_date(value, "medium"))


def show_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{show_date(value)}, {format_time(value, 'short')}"


def due_text(due_at: datetime | None) -> tuple[str, str]:
    """A due date as people say it, and a CSS class: overdue, today, soon or later."""
    if due_at is None:
        return "none", _("no due date")
    now = current_services().clock.now()
    if due_at < now:
        days = days_between(due_at, now)
        if days == 0:
            return "overdue", _("overdue since today")
        return "overdue", ngettext("overdue by %(num)d day", "overdue by %(num)d days", days)
    days = days_between(now, due_at)
    if days == 0:
        return "today", _("due today")
    return ("soon" if days <= 3 else "later"), ngettext("due in %(num)d day", "due in %(num)d days", days)


def duration_words(text: str) -> str:
    """``P20D`` → "20 дни", ``PT24H`` → "24 часа", ``P1Y6M`` → "1 година 6 месеца" ("" if unreadable)."""
    try:
        parsed = parse_duration(text)
    except ValueError:
        return ""
    parts = [
        ngettext("%(num)d year", "%(num)d years", parsed.years) if parsed.years else "",
        ngettext("%(num)d month", "%(num)d months", parsed.months) if parsed.months else "",
        ngettext("%(num)d week", "%(num)d weeks", parsed.weeks) if parsed.weeks else "",
        ngettext("%(num)d day", "%(num)d days", parsed.days) if parsed.days else "",
        ngettext("%(num)d hour", "%(num)d hours", parsed.hours) if parsed.hours else "",
        ngettext("%(num)d minute", "%(num)d minutes", parsed.minutes) if parsed.minutes else "",
    ]
    return " ".join(part for part in parts if part)


def seconds_words(seconds: float) -> str:
    """A lateness for people: "45 секунди", "12 минути", "3 часа"."""
    whole = round(seconds)
    if whole < 120:
        words = ngettext("%(num)d second", "%(num)d seconds", whole)
    elif whole < 7200:
        words = ngettext("%(num)d minute", "%(num)d minutes", whole // 60)
    else:
        words = ngettext("%(num)d hour", "%(num)d hours", whole // 3600)
    return str(words)


_EVERY = {"P1Y": _l("every year"), "P1M": _l("every month"), "P1W": _l("every week"), "P1D": _l("every day")}
_PHRASES = {anchor.name: anchor.phrase for anchor in (*ANCHORS, STARTED)}


def counted(duration: str, anchor: str) -> str:
    """How a due date was counted, as the diagram says: "20 дни от настаняването", "на всеки месец от
    настаняването"; "" when an expression computed it."""
    period = duration.rsplit("/", 1)[-1].upper()
    words = duration_words(period) if duration else ""
    if not words:
        return ""
    if is_cycle_literal(duration):
        words = str(_EVERY[period]) if period in _EVERY else _("every %(period)s", period=words)
    phrase = _(_PHRASES[anchor]) if anchor in _PHRASES else ""
    return f"{words} {phrase}".strip()


def file_size(size: int) -> str:
    """A file's size as people read it: kB below a megabyte, MB with one decimal above."""
    if size < 1024 * 1024:
        return str(_("%(num)s kB", num=format_decimal(max(1, round(size / 1024)))))
    return str(_("%(num)s MB", num=format_decimal(round(size / (1024 * 1024), 1))))


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Europe/Sofia")
    app.jinja_env.filters.update(
        date=show_date,
        datetime=show_datetime,
        due=due_text,
        legal_basis=lambda code: labels.label(labels.LEGAL_BASES, code),
        target_group=lambda code: labels.label(labels.TARGET_GROUPS, code),
        pathway_name=lambda name: labels.label(labels.PATHWAY_NAMES, name),
        case_status=lambda code: labels.label(labels.CASE_STATUSES, code),
        task_status=lambda code: labels.label(labels.TASK_STATUSES, code),
        centre_kind=lambda code: labels.label(labels.CENTRE_KINDS, code),
        signal=lambda code: labels.label(labels.SIGNALS, code),
        action=lambda code: labels.label(labels.ACTIONS, code),
        incident_problem=lambda code: labels.label(labels.INCIDENT_PROBLEMS, code),
        role=labels.role_name,
        counted=counted,
        note_kind=lambda code: labels.label(labels.NOTE_KINDS, code),
        note_visibility=lambda code: labels.label(labels.NOTE_VISIBILITIES, code),
        attachment_kind=lambda code: labels.label(labels.ATTACHMENT_KINDS, code),
        document_kind=document_kind,
        file_size=file_size,
        duration_seconds=seconds_words,
    )
    from web.migration_text import timeline_line

    app.jinja_env.globals.update(
        locale=locale, locales=LOCALES, form_title=form_title, named=named, timeline_line=timeline_line
    )


def document_kind(code: str) -> str:
    """An outgoing document's kind in the reader's language (declared in the engine, marked N_)."""
    kind = find_kind(code)
    return _(kind.name) if kind is not None else code


def named(name: str, name_en: str = "") -> str:
    """A diagram element's name in the reader's language: its ``name_en`` in English, where it has one."""
    return name_en if name_en and locale() == "en" else name


def form_title(form_key: str) -> str:
    """The title of a task's form in the reader's language ("" when the task has no form)."""
    forms = current_services().forms
    return forms.get(form_key).title(locale()) if form_key and forms.exists(form_key) else ""
