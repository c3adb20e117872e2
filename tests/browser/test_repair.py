"""Repairing a case in Chromium: a coordinator finds a case by its number on the Incidents page, suspends
it with a reason and resumes it from the repair page (plain forms, no script); axe-core finds nothing."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import select

from engine.store.models import Case
from tests.browser.conftest import user
from tests.browser.test_case_file import axe_violations, flashed
from tests.browser.test_case_worker import button, field_by_label, sign_in, wait

pytestmark = pytest.mark.browser


def test_a_coordinator_suspends_and_resumes_a_case_from_the_incidents_page(browser, live_server):
    case_id, _ = live_server.open_case(name="Невена Р.")
    with live_server.services.uow() as uow:
        number = uow.session.scalar(select(Case.number).where(Case.public_id == case_id))
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    browser.get(f"{live_server.url}/incidents")
    field_by_label(browser, "Номер на случая").send_keys(number)
    button(browser, "Отворете страницата за поправка").click()
    wait(browser).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h1"), f"Поправка на случай {number}"))
    assert "Невена" not in browser.page_source  # a coordinator reads no case content
    field_by_label(browser, "Причина (задължително)").send_keys("Настанена в болница.")
    button(browser, "Спрете временно").click()
    flashed(browser, "Случаят е спрян временно")
    assert browser.find_element(By.CSS_SELECTOR, ".case-status").text == "спрян временно"
    assert axe_violations(browser) == []
    field_by_label(browser, "Причина (задължително)").send_keys("Върна се.")
    button(browser, "Възобновете").click()
    flashed(browser, "Случаят продължава.")
    assert browser.find_element(By.CSS_SELECTOR, ".case-status").text == "отворен"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not [entry for entry in errors if "favicon.ico" not in entry["message"]]  # no CSP refusal
