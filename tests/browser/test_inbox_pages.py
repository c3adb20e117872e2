"""The inbox at scale in Chromium, in Bulgarian and English, at 1366 and 390 px: a search by name, the
second page of a team's inbox, a case lead giving a task to a worker who is then notified, a comment
on the task, and the e-mail preferences; axe-core finds no violation and no page scrolls sideways.

axe-core comes from npm (``npm install axe-core``); the test looks for it in ``AXE_CORE_JS`` or under
``node_modules`` here or in /tmp/axe, and is skipped, saying so, where it is not installed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from tests.browser.conftest import SCREENSHOTS, LiveServer, user
from tests.browser.test_case_worker import button, field_by_label, sign_in, wait

pytestmark = pytest.mark.browser
CANDIDATES = (
    Path(os.environ.get("AXE_CORE_JS", "/nonexistent")),
    Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js",
    Path("/tmp/axe/node_modules/axe-core/axe.min.js"),
)
WORDS = {
    "bg": {"search": "Номер на случай или име", "show": "Покажи", "comment": "Добавете коментар"},
    "en": {"search": "Case number or name", "show": "Show", "comment": "Add a comment"},
}


def axe_source() -> str:
    found = next((path for path in CANDIDATES if path.is_file()), None)
    if found is None:
        pytest.skip("axe-core is not installed (npm install axe-core, or set AXE_CORE_JS)")
    return found.read_text(encoding="utf-8")


def checked(browser: Any, axe: str, name: str) -> None:
    """axe-core reports nothing, the page is no wider than the window, and a screenshot is kept."""
    browser.execute_script(axe)
    violations = browser.execute_async_script(
        "const done = arguments[0]; axe.run().then(r => done(r.violations.map(v => v.id + ': ' +"
        " v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '))))"
    )
    assert violations == [], f"{name}: {violations}"
    wide, window = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide <= window, f"{name} scrolls sideways: {wide} px in {window} px"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"inbox_{name}.png"))


def in_language(browser: Any, live: LiveServer, lang: str) -> None:
    if lang == "en":
        Select(browser.find_element(By.ID, "language-select")).select_by_value("en")
        browser.find_element(By.ID, "language-select").submit()
        wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "html"), "Inbox"))


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["bg", "en"])
def test_search_paging_reassign_notice_comments_and_preferences(browser, live_server, lang, width):
    axe = axe_source()
    live = live_server
    words = WORDS[lang]
    browser.set_window_size(width, 900 if width > 500 else 844)
    name = f"Ралица Т{lang}{width}"
    _, task_id = live.open_case(name=name)
    for index in range(26):
        live.open_case(name=f"Човек {index:02d}")
    try:
        sign_in(browser, live, user("kc-demo", "case_lead"))
        in_language(browser, live, lang)
        browser.get(live.url + "/inbox?scope=team&sort=case&page=2")
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "nav.pager")))
        checked(browser, axe, f"team_page2_{lang}_{width}")
        browser.get(live.url + "/inbox?scope=team")
        field_by_label(browser, words["search"]).send_keys(name)
        button(browser, words["show"]).click()
        wait(browser).until(EC.url_contains("q="))
        row = browser.find_element(By.XPATH, f"//tr[contains(., '{name}')]")
        Select(row.find_element(By.TAG_NAME, "select")).select_by_value(user("kc-demo", "social_worker"))
        row.find_element(By.CSS_SELECTOR, "form.reassign button").click()
        wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".flash-success")))
        checked(browser, axe, f"search_{lang}_{width}")
        browser.delete_all_cookies()

        sign_in(browser, live, user("kc-demo", "social_worker"))
        in_language(browser, live, lang)
        browser.get(live.url + "/notifications")
        told = browser.find_element(By.XPATH, f"//a[@href='/tasks/{task_id}']/ancestor::li")
        assert ("дадена ви е задачата" if lang == "bg" else "was given to you") in told.text
        assert name not in told.text  # a notification names the case by its number only
        checked(browser, axe, f"notifications_{lang}_{width}")
        browser.get(live.url + f"/tasks/{task_id}")
        field_by_label(browser, words["comment"]).send_keys("Обадих се на майката.")
        browser.find_element(By.ID, "comment-body").submit()
        wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".comments li")))
        checked(browser, axe, f"task_{lang}_{width}")
        browser.get(live.url + "/notifications/preferences")
        checked(browser, axe, f"preferences_{lang}_{width}")
    finally:
        browser.set_window_size(1366, 900)
