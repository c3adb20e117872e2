"""Issue 15's "done when": a social worker's whole day in real Chromium, in Bulgarian at a desktop's
width and in English at a phone's (390 px): sign in, search the inbox, write a note, attach a referral
PDF, complete two tasks (a failed submit first: focus lands on the error summary), and be told of a task
a case lead gave them. Every page it visits has 0 axe-core violations and does not scroll sideways.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from engine.casework.inbox import assignment
from engine.people.users import get_user, principal_for
from tests import documents
from tests.browser.conftest import PASSWORD, LiveServer, user
from tests.browser.test_case_worker import button, field_by_label, fill_form, wait
from tests.browser.test_inbox_pages import axe_source

pytestmark = pytest.mark.browser

WORDS = {
    "bg": {
        "username": "Потребителско име",
        "password": "Парола",
        "sign_in": "Вход",
        "search": "Номер на случай или име",
        "show": "Покажи",
        "note": "Текст (задължително)",
        "kind": "Вид",
        "phone_call": "Телефонно обаждане",
        "save_note": "Запиши бележката",
        "note_saved": "Бележката е записана.",
        "document_kind": "Вид документ",
        "referral": "Направление",
        "attach": "Приложи",
        "attached": "Документът е приложен.",
        "complete": "Завърши задачата",
        "completed": "Задачата е завършена.",
        "for_you": "за вас",
        "given": "дадена ви е задачата",
    },
    "en": {
        "username": "Username",
        "password": "Password",
        "sign_in": "Sign in",
        "search": "Case number or name",
        "show": "Show",
        "note": "Text (required)",
        "kind": "Kind",
        "phone_call": "Phone call",
        "save_note": "Save the note",
        "note_saved": "The note is saved.",
        "document_kind": "Kind of document",
        "referral": "Referral or order",
        "attach": "Attach",
        "attached": "The document is attached.",
        "complete": "Complete the task",
        "completed": "The task is completed.",
        "for_you": "for you",
        "given": "was given to you",
    },
}


class Walk:
    """The pages of one walk, each checked as it is reached."""

    def __init__(self, browser: Any, axe: str, lang: str) -> None:
        self.browser, self.axe, self.lang = browser, axe, lang
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        browser = self.browser
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == self.lang, name
        browser.execute_script(self.axe)
        violations = browser.execute_async_script(
            "const done = arguments[0]; axe.run({resultTypes: ['violations']}).then(r => done("
            "r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join())))"
        )
        assert violations == [], f"{name}: {violations}"
        wide, window = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= window, f"{name} scrolls sideways: {wide} px in {window} px"
        self.pages.append(name)


def choose_language(browser: Any, lang: str) -> None:
    if browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang:
        return
    Select(browser.find_element(By.ID, "language-select")).select_by_value(lang)
    browser.find_element(By.ID, "language-select").submit()
    wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)


def flashed(browser: Any, text: str) -> None:
    wait(browser).until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash-success"), text))


def give_task(live: LiveServer, task_id: str, to: str) -> None:
    """The case lead gives a task to a worker (on another screen, as a colleague would)."""
    with live.services.uow() as uow:
        lead = principal_for(get_user(uow, user("kc-demo", "case_lead")))
        assignment.reassign(uow, lead, task_id, to)
        uow.commit()


@pytest.mark.parametrize(("lang", "width"), [("bg", 1366), ("en", 390)])
def test_a_social_workers_day(browser, live_server, tmp_path, lang, width):
    axe, words, live = axe_source(), WORDS[lang], live_server
    if not live.shipped:
        pytest.skip("the day walks the shipped pathways")
    browser.set_window_size(width, 900 if width > 500 else 844)
    walk = Walk(browser, axe, lang)
    name = f"Деница {lang.upper()} {width}"
    case_id, _ = live.open_case(name=name)
    _, given_task = live.open_case(name=f"Стефка {lang.upper()} {width}")
    worker = user("kc-demo", "social_worker")
    try:
        browser.get(live.url + "/login")
        choose_language(browser, lang)
        walk.check("login")
        field_by_label(browser, words["username"]).send_keys(worker)
        field_by_label(browser, words["password"]).send_keys(PASSWORD)
        button(browser, words["sign_in"]).click()
        wait(browser).until(EC.url_contains("/inbox"))
        choose_language(browser, lang)  # signing in starts from the user's own language (Bulgarian)
        walk.check("inbox")

        # the inbox, searched by name
        field_by_label(browser, words["search"]).send_keys(name)
        button(browser, words["show"]).click()
        wait(browser).until(EC.url_contains("q="))
        rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
        assert rows and all(name in row.text for row in rows)
        walk.check("inbox search")
        rows[0].find_element(By.CSS_SELECTOR, f"a[href='/cases/{case_id}']").click()
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-rendered='true']")))
        walk.check("case page")

        # a note and a referral on the case
        field_by_label(browser, words["note"]).send_keys("Обаждане от ДСП: срещата е в четвъртък.")
        Select(field_by_label(browser, words["kind"])).select_by_visible_text(words["phone_call"])
        button(browser, words["save_note"]).click()
        flashed(browser, words["note_saved"])  # the same page again: checked below, with the document too
        referral = tmp_path / "направление.pdf"
        referral.write_bytes(documents.pdf())
        Select(field_by_label(browser, words["document_kind"])).select_by_visible_text(words["referral"])
        browser.find_element(By.ID, "attachment-file").send_keys(str(referral))
        button(browser, words["attach"]).click()
        flashed(browser, words["attached"])
        assert browser.find_element(By.LINK_TEXT, "направление.pdf").get_attribute("download") is not None
        walk.check("case page, referral attached")

        # the first task: a failed submit puts the error summary where the eye (and the focus) is
        browser.find_element(By.CSS_SELECTOR, ".task-list a.task-link").click()
        complete = wait(browser).until(
            EC.element_to_be_clickable((By.XPATH, f"//button[normalize-space(.)='{words['complete']}']"))
        )
        walk.check("task page")
        task_id = browser.current_url.rsplit("/", 1)[-1]
        complete.click()
        wait(browser).until(EC.presence_of_element_located((By.ID, "error-summary")))
        assert browser.execute_script("return document.activeElement.id") == "error-summary"
        walk.check("task page with errors")
        fill_form(browser, live, task_id)
        button(browser, words["complete"]).click()
        flashed(browser, words["completed"])
        walk.check("task completed")

        # the second: what comes next, for this worker
        nxt = browser.find_element(
            By.XPATH,
            f"//li[.//span[normalize-space(.)='{words['for_you']}']]/a[contains(@class, 'next-task')]",
        )
        nxt.click()
        wait(browser).until(
            EC.element_to_be_clickable((By.XPATH, f"//button[normalize-space(.)='{words['complete']}']"))
        )
        walk.check("second task")
        fill_form(browser, live, browser.current_url.rsplit("/", 1)[-1])
        button(browser, words["complete"]).click()
        flashed(browser, words["completed"])
        walk.check("second task completed")

        # a case lead gives the worker a task: the worker is told, and the notice leads to it
        give_task(live, given_task, worker)
        browser.get(live.url + "/notifications")
        told = browser.find_element(By.XPATH, f"//a[@href='/tasks/{given_task}']/ancestor::li")
        assert words["given"] in told.text
        walk.check("notifications")
        told.find_element(By.CSS_SELECTOR, f"a[href='/tasks/{given_task}']").click()
        wait(browser).until(EC.url_contains(given_task))
        walk.check("the given task")
    finally:
        browser.set_window_size(1366, 900)
    assert len(walk.pages) == 12
