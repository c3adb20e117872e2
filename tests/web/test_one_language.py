"""One language at a time (issue 15 §4): every page of every role, and its errors, in each language.

A Bulgarian page shows no English words and an English page no Bulgarian ones, except what is on the
allow-lists below: proper nouns, codes, legal abbreviations, technical words, and the test world's names.
The pages are found from the app's GET routes (the permission matrix's rules say how to reach each),
so a new page is checked in both languages without anybody adding it here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.bpmn.properties import BY_NAME as BPMN_PROPERTIES
from engine.services import Services
from tests.engine.conftest import mini_pathway
from tests.web import conftest
from tests.web.conftest import ROLE_CODES, WebWorld, login, username
from tests.web.test_permission_matrix import RULES

LANGUAGES = ("bg", "en")

# --- What a Bulgarian page may show in Latin letters ------------------------------------------------
LATIN_ALLOWED = {
    # the product, technical words and formats
    "Casepath",
    "BPMN",
    "CSV",
    "PDF",
    "PNG",
    "JPEG",
    "DOCX",
    "XLSX",
    "Excel",  # the spreadsheet program the XLSX link names
    "ODT",
    "XML",
    "JSON",
    "API",
    "ID",
    "FEEL",
    "HH:MM",
    "YYYY-MM-DD",
    "e-mail",
    "English",  # the language switch names each language in itself
    "sha256",  # a version's checksum, labelled by its algorithm
    "draft",  # the value typed in the diff's "To" field for the draft (the field shows it)
    "scenarios",  # the pathway's scenarios/ folder, named as it is on disk
    *BPMN_PROPERTIES,  # a diagram's property names, quoted in its problems ("свойство „form“")
    *ROLE_CODES,  # the test world's people are named after their role's code ("Служител manager")
}
# Runs of Latin-letter text in a Bulgarian page that are codes shown as code, ids, usernames, file names.
LATIN_CODE = re.compile(
    r"""^(
        [a-z0-9]+([-_.][a-z0-9]+)+         # usernames, centre codes, role / form codes, file names
      | [a-z]+_[a-z_]+                      # role and field codes
      | [A-Z]{2,}(-[A-Z0-9]+)*              # abbreviations and case numbers (KC-TEST-2025-0001)
      | [\w.+-]+@[\w.-]+                    # e-mail addresses
      | [PT0-9YMWDHS]+                      # ISO 8601 durations shown next to their words
    )$""",
    re.VERBOSE,
)

# --- What an English page may show in Cyrillic ------------------------------------------------------
CYRILLIC_ALLOWED = {
    # legal abbreviations and kinds of centre
    "ЗСУ",
    "ЗЗД",
    "ЗЗДН",
    "ЗБТХ",
    "ДСП",
    "ОЗД",
    "КЦ",
    "ЦОП",
    "Български",  # the language switch names each language in itself
    "чл",  # "article" in a legal citation as the diagram writes it (legal_source: "ЗСУ чл. 77(3)")
    # the test world: centres, people, a referral number (tests/web/conftest.py)
    "Тест",
    "Друг",
    "Служител",
    "Мария",
    "Елена",
    "П",
    "Д",
    "ул",
    "Тайна",  # the centre's address ("ул. Тайна 1")
}


# The test world's pathway as a real one is written: Bulgarian names, the English one in ``name_en``.
BULGARIAN_NAMES = {
    "assess": "Първа оценка",
    "score": "Оценка на риска",
    "stay": "Престой",
    "wait_month": "Минава месец",
    "review": "Преглед на плана",
    "cap": "Краен срок от 6 месеца",
    "exit_planning_due": "Планиране на изхода",
    "risk_changed": "Променен риск",
    "exit_planning": "Планиране на изхода",
    "reassess": "Повторна оценка",
    "exit_decision": "Решение за изход",
    "final": "Окончателен доклад",
}
# The first task's legal source as the shipped pathways write one: Bulgarian words beside the law's
# abbreviation, the English in ``legal_source_en``.
LEGAL_SOURCE = '<spiffworkflow:property name="legal_source" value="ЗСУ чл. 77(3)"/>'
LEGAL_SOURCES = (
    '<spiffworkflow:property name="legal_source" value="ЗСУ чл. 77(3); 24 часа – приет срок"/>'
    '<spiffworkflow:property name="legal_source_en" value="ЗСУ Art. 77(3); 24 hours – agreed time limit"/>'
)
ELEMENT = re.compile(
    r'(<bpmn:\w+ id="(?P<id>\w+)" name=")(?P<name>[^"]+)("[^>]*>)'
    r"(?P<open>\s*<bpmn:extensionElements><spiffworkflow:properties>)?"
)


def bilingual(xml: str) -> str:
    """Each element in BULGARIAN_NAMES named in Bulgarian, its English name kept as ``name_en``."""

    def rename(found: re.Match[str]) -> str:
        if found["id"] not in BULGARIAN_NAMES:
            return found[0]
        english = f'<spiffworkflow:property name="name_en" value="{found["name"]}"/>'
        properties = (
            f"{found['open']}{english}"
            if found["open"]
            else f"<bpmn:extensionElements><spiffworkflow:properties>{english}"
            "</spiffworkflow:properties></bpmn:extensionElements>"
        )
        return f"{found[1]}{BULGARIAN_NAMES[found['id']]}{found[4]}{properties}"

    return ELEMENT.sub(rename, xml)


# What people write (a comment, a note, a form's answer) is in their language, whatever the page's.
WRITTEN = {"comment": "Обадих се.", "note": "Разговор с майката.", "answer": "Спокойна среща."}


@pytest.fixture
def world(services: Services, monkeypatch: pytest.MonkeyPatch) -> WebWorld:
    text = mini_pathway().decode("utf-8")
    assert LEGAL_SOURCE in text
    data = bilingual(text.replace(LEGAL_SOURCE, LEGAL_SOURCES)).encode("utf-8")
    monkeypatch.setattr(conftest, "mini_pathway", lambda: data)
    return conftest.build_world(services)


# A diagram whose task names no form: refused, per element.
NO_FORM = mini_pathway(replace={'<spiffworkflow:property name="form" value="note"/>': ""})


# Not words for reading: scripts and styles, code shown as code, and what a person types (a textarea's text).
SKIPPED = ("script", "style", "template", "code", "kbd", "samp", "textarea")


@dataclass
class Text(HTMLParser):
    """The words a person sees: text and the labels of controls, without scripts and styles."""

    parts: list[str] = field(default_factory=list)
    skipping: int = 0

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED:
            self.skipping += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    parser = Text()
    parser.feed(html)
    return [" ".join(part.split()) for part in parser.parts if part.strip()]


LATIN_WORD = re.compile(r"[A-Za-z][\w.@+:'’/-]*")
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁёЪъ]+")


def foreign_in_bulgarian(line: str) -> list[str]:
    found = []
    for word in LATIN_WORD.findall(line):
        word = word.rstrip(".:,;'’/-")
        if (
            word in LATIN_ALLOWED
            or word.upper() in LATIN_ALLOWED
            or LATIN_CODE.match(word)
            or not re.search("[a-z]{2}", word, re.I)
        ):
            continue
        found.append(word)
    return found


def foreign_in_english(line: str) -> list[str]:
    written = set(CYRILLIC_WORD.findall(" ".join(WRITTEN.values())))
    return [word for word in CYRILLIC_WORD.findall(line) if word not in CYRILLIC_ALLOWED | written]


def problems(html: str, language: str) -> list[str]:
    check = foreign_in_bulgarian if language == "bg" else foreign_in_english
    out = []
    for line in visible_text(html):
        words = check(line)
        if words:
            out.append(f"{' '.join(words)!r} in {line[:120]!r}")
    return out


def signed_in(app: Flask, role: str, language: str) -> FlaskClient:
    client = app.test_client()
    login(client, username(role))
    assert client.post("/language", data={"locale": language}).status_code == 302
    return client


def pages(app: Flask, world: WebWorld) -> list[str]:
    """Every GET page of the app, reached as the permission matrix reaches it, in the user's own centre
    and in another (whose case, task and places do not exist for the user: the "not found" page)."""
    paths = []
    for (endpoint, method), rule in sorted(RULES.items()):
        if method == "GET" and not endpoint.startswith(("api", "static", "health")):
            paths += dict.fromkeys([rule.path(world, True), rule.path(world, False)])
    return paths


# Pages with errors: (role, path, form data). Each is refused (422) and shows its errors on the page.
def failed_submits(world: WebWorld) -> list[tuple[str, str, dict[str, Any]]]:
    psychologist = username("psychologist")
    return [
        ("admin", "/admin/users", {"username": "X Y", "password": "short", "centre": "kc-test", "role": ""}),
        ("admin", "/admin/users", {"username": "", "password": "", "centre": "kc-other", "role": "nurse"}),
        ("admin", "/admin/centres", {"code": "", "name": "", "kind": "crisis_centre", "capacity": "0"}),
        ("admin", "/admin/centres", {"code": "kc-new", "name": "", "kind": "shelter", "capacity": "5000"}),
        ("admin", "/admin/centres/kc-test", {"name": "", "capacity": "0"}),
        ("admin", f"/admin/users/{psychologist}/name", {"display_name": "Я" * 201}),
        ("admin", f"/admin/users/{psychologist}/roles/remove", {"centre": "kc-test"}),
        ("admin", "/admin/roles", {"grant_username": "nobody", "grant_centre": "kc-test", "grant_role": "x"}),
        ("coordinator", "/pathways", {"file": (BytesIO(b"not xml"), "notes.txt")}),
        ("coordinator", "/pathways", {}),
        ("coordinator", "/pathways", {"file": (BytesIO(b"<definitions><oops"), "broken.bpmn")}),
        ("coordinator", "/pathways", {"file": (BytesIO(NO_FORM), "no-form.bpmn")}),
        ("social_worker", "/intake", {"centre": "kc-test", "birth_date": "tomorrow", "admitted_time": "x"}),
        ("social_worker", "/intake", {}),
        (
            "social_worker",
            "/intake",
            {
                "centre": "kc-test",
                "children-1-display_name": "Ани",
                "children-1-birth_date": "1990-01-01",
                "children-2-birth_date": "x",
            },
        ),
        ("social_worker", f"/cases/{world.own_case}/family", {"number": "KC-TEST-1900-0001"}),
        ("manager", "/centres/kc-test/rooms", {"name": ""}),
        ("social_worker", f"/tasks/{world.own_task}/complete", {"f_note": "", "f_risk": "nonsense"}),
        ("social_worker", "/account/password", {"current_password": "wrong", "new_password": "abc"}),
    ]


def work_a_little(app: Flask, world: WebWorld) -> None:
    """The social worker takes the first task, comments on it, completes it and writes a note: the
    timeline, the completed task's answers and what comes next have something to show."""
    client = app.test_client()
    login(client, username("social_worker"))
    task = f"/tasks/{world.own_task}"
    assert client.post(f"{task}/claim").status_code == 302
    assert client.post(f"{task}/comments", data={"body": WRITTEN["comment"]}).status_code == 302
    answers = {"f_note": WRITTEN["answer"], "f_risk": "high"}
    assert client.post(f"{task}/complete", data=answers).status_code == 302
    note = {"kind": "phone_call", "body": WRITTEN["note"]}
    assert client.post(f"/cases/{world.own_case}/notes", data=note).status_code == 302


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_in_one_language(app: Flask, world: WebWorld, language: str) -> None:
    app.config["CASEPATH_LOGIN_LIMIT"] = "10000 per minute"
    work_a_little(app, world)
    found: list[str] = []
    paths = pages(app, world)
    for role in ROLE_CODES:
        client = signed_in(app, role, language)
        for path in paths:
            response = client.get(path)
            if response.mimetype != "text/html" or 300 <= response.status_code < 400:  # not redirects
                continue
            found += [
                f"{role} {path}: {problem}" for problem in problems(response.get_data(as_text=True), language)
            ]
    anonymous = app.test_client()
    anonymous.post("/language", data={"locale": language})
    found += [
        f"anonymous /login: {p}" for p in problems(anonymous.get("/login").get_data(as_text=True), language)
    ]
    assert not found, f"{len(found)} texts of the other language:\n" + "\n".join(sorted(set(found)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_error_in_one_language(app: Flask, world: WebWorld, language: str) -> None:
    found: list[str] = []
    clients: dict[str, FlaskClient] = {}
    for role, path, data in failed_submits(world):
        client = clients.get(role) or clients.setdefault(role, signed_in(app, role, language))
        response = client.post(path, data=data, follow_redirects=True)
        assert response.status_code == 422, (path, data, response.status_code)
        found += [f"{role} POST {path}: {p}" for p in problems(response.get_data(as_text=True), language)]
    assert not found, f"{len(found)} texts of the other language:\n" + "\n".join(sorted(set(found)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_case_diagram_in_one_language(app: Flask, world: WebWorld, language: str) -> None:
    """The diagram the case page draws names its steps and lanes in the reader's language."""
    client = signed_in(app, "social_worker", language)
    response = client.get(f"/cases/{world.own_case}/diagram.bpmn")
    assert response.status_code == 200
    # what the viewer draws: the names of the elements (not the process's, which no pool shows here)
    names = re.findall(r'<bpmn:(?!process\b)\w+ [^>]*?name="([^"]+)"', response.get_data(as_text=True))
    check = foreign_in_bulgarian if language == "bg" else foreign_in_english
    found = [name for name in names if check(name)]
    shown = {"bg": "Първа оценка", "en": "Initial assessment"}[language]
    assert shown in names and not found, found


def test_the_checks_can_fail() -> None:
    """The word checks find the other language and let the allow-list through."""
    assert foreign_in_bulgarian("Изберете a .bpmn file") == ["file"]
    assert foreign_in_bulgarian("Потребител a-social-worker, BPMN, CSV, ДСП-1") == []
    assert foreign_in_english("Referral (направление) by ДСП") == ["направление"]
    assert foreign_in_english("КЦ Тест, Мария П.") == []
