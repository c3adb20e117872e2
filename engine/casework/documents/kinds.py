"""The kinds of outgoing document a centre sends ДСП and ОЗД, and which completed form each is made from.

``KINDS`` is the one declaration: a kind's code (stored with the document and named by the API), its
name in the reader's language (an English msgid, translated where shown), the Bulgarian title the
document itself carries, its template, and its source — the form a completed task of the case's
pathway must have filled in, and, where one form serves several steps, the steps (element ids of the
shipped diagrams) that count.
"""

from __future__ import annotations

from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks a text for the catalogues (``web/babel.cfg`` extracts this module); translated where shown."""
    return message


@dataclass(frozen=True)
class DocumentKind:
    code: str
    name: str  # English msgid: what the case page and the API call it
    title_bg: str  # the document's own title (documents are always in Bulgarian)
    template: str
    source_forms: tuple[str, ...]
    source_elements: tuple[str, ...] = ()  # empty: any task with one of the forms
    missing: str = ""  # English msgid: why it cannot be generated yet


KINDS: tuple[DocumentKind, ...] = (
    DocumentKind(
        "progress_note",
        N_("Monthly progress note on the support plan"),
        "Доклад за напредъка по индивидуалния план за подкрепа",
        "progress_note.html",
        ("plan_review",),
        missing=N_("No review of the support plan has been completed yet."),
    ),
    DocumentKind(
        "final_report",
        N_("Final report at closure"),
        "Окончателен доклад при приключване на услугата",
        "final_report.html",
        ("final_report",),
        missing=N_("The final report form has not been completed yet."),
    ),
    DocumentKind(
        "urgent_admission_notice",
        N_("Notification to ДСП of an urgent admission"),
        "Уведомление за спешно настаняване",
        "urgent_admission_notice.html",
        ("authority_notification",),
        ("Task_NotifyDSP", "Task_NotifyUrgent"),
        missing=N_("The notification of the urgent admission has not been completed (no urgent admission?)."),
    ),
    DocumentKind(
        "violence_report",
        N_("Report of violence disclosed"),
        "Сигнал за разкрито насилие над дете",
        "violence_report.html",
        ("authority_notification",),
        ("Task_ChildViolenceReport", "Task_ViolenceReport"),
        missing=N_("No report of disclosed violence has been completed on this case."),
    ),
)

KIND_CODES = tuple(kind.code for kind in KINDS)
_BY_CODE = {kind.code: kind for kind in KINDS}


def find_kind(code: str) -> DocumentKind | None:
    return _BY_CODE.get(code)
