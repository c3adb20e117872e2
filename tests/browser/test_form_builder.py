"""The form builder in real Chromium, by keyboard: a coordinator adds a field to a new form, sees it in
the preview the server draws, and saves the draft; axe-core finds nothing to fix."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from engine.store.models import FormDraft
from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_file import axe_violations
from tests.browser.test_case_worker import sign_in

pytestmark = pytest.mark.browser
KEY = "browser_contact_form"


def test_a_field_added_in_the_builder_shows_in_the_preview_and_is_saved(
    browser: Any, live_server: LiveServer
) -> None:
    wait = WebDriverWait(browser, 30)
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    browser.get(f"{live_server.url}/forms/{KEY}/edit")
    browser.find_element(By.ID, "fb-title").send_keys("Връзка")
    browser.find_element(By.ID, "fb-title-en").send_keys("Contact")
    browser.find_element(By.ID, "fb-add").send_keys(Keys.ENTER)  # a short text, the first kind offered
    # focus moves to the new field's name
    wait.until(lambda b: b.switch_to.active_element.get_attribute("data-role") == "name")
    name = browser.switch_to.active_element
    assert name.get_attribute("value") == "field_1"
    name.send_keys(Keys.CONTROL, "a")
    name.send_keys("phone")
    card = browser.find_element(By.CSS_SELECTOR, "#fb-fields > li:last-child")
    card.find_element(By.CSS_SELECTOR, "[data-role=title]").send_keys("Телефон за връзка")
    card.find_element(By.CSS_SELECTOR, "[data-role=title_en]").send_keys("Phone")
    wait.until(lambda b: "Телефон за връзка" in b.find_element(By.ID, "fb-preview").text)
    assert browser.find_element(By.CSS_SELECTOR, "#fb-preview #field-phone")  # the task page's own input
    browser.find_element(By.ID, "fb-save").send_keys(Keys.ENTER)
    status = browser.find_element(By.ID, "fb-status")
    wait.until(lambda b: status.get_attribute("data-verdict") == "valid")
    with live_server.services.uow() as uow:
        draft = uow.session.scalar(select(FormDraft).where(FormDraft.key == KEY))
        assert (
            draft is not None
            and '"phone":{' in draft.schema_json
            and "Телефон за връзка" in draft.schema_json
        )
    assert axe_violations(browser) == []
    severe = [
        e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]
    assert severe == []  # no script error, no refused request (the sign-in page asks for a favicon)
