"""A social worker's day in real Chromium: inbox in Bulgarian, a task form, the case's diagram, isolation.

Locators follow what people see: labels, button texts, headings. Waits are explicit, never sleeps.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from engine.store.models import CaseTask
from tests.browser.conftest import PASSWORD, LiveServer, user

pytestmark = pytest.mark.browser
WAIT = 15


def wait(browser: Any) -> WebDriverWait:
    return WebDriverWait(browser, WAIT)


def field_by_label(browser: Any, text: str) -> Any:
    label = browser.find_element(By.XPATH, f"//label[normalize-space(.)={xpath_text(text)}]")
    return browser.find_element(By.ID, label.get_attribute("for"))


def button(browser: Any, text: str) -> Any:
    return browser.find_element(By.XPATH, f"//button[normalize-space(.)={xpath_text(text)}]")


def xpath_text(text: str) -> str:
    return f'"{text}"' if '"' not in text else f"'{text}'"


def sign_in(browser: Any, live: LiveServer, username: str) -> None:
    browser.get(live.url + "/login")
    field_by_label(browser, "Потребителско име").send_keys(username)
    field_by_label(browser, "Парола").send_keys(PASSWORD)
    button(browser, "Вход").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".signed-in-as")))


def test_social_worker_signs_in_and_sees_the_inbox_in_bulgarian(browser, live_server):
    case_id, _ = live_server.open_case(name="Калина В.")
    sign_in(browser, live_server, user("kc-demo", "social_worker"))
    wait(browser).until(EC.url_contains("/inbox"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "bg"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Входящи"
    row = browser.find_element(By.XPATH, f"//tr[.//a[@href='/cases/{case_id}']]")
    assert "Калина В." in row.text
    assert "срок" in row.text  # "срок след 1 ден" and the like
    assert browser.find_element(By.LINK_TEXT, "Нов случай").is_displayed()


def test_task_form_shows_field_errors_then_moves_the_case_on(browser, live_server):
    _, task_id = live_server.open_case(name="Вяра Н.")
    sign_in(browser, live_server, user("kc-demo", "social_worker"))
    browser.get(f"{live_server.url}/tasks/{task_id}")
    button(browser, "Завърши задачата").click()
    error = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".field-error")))
    assert error.text in {"Полето е задължително.", "Изберете една от възможностите."}
    assert "Моля, поправете отбелязаните полета." in browser.find_element(By.ID, "error-summary").text

    fill_form(browser, live_server, task_id)
    button(browser, "Завърши задачата").click()
    heading = wait(browser).until(
        EC.visibility_of_element_located((By.XPATH, "//h2[normalize-space(.)='Какво следва']"))
    )
    assert heading.is_displayed()
    assert "Задачата е завършена." in browser.find_element(By.CSS_SELECTOR, ".flash-success").text
    if live_server.shipped:
        next_task = browser.find_element(By.CSS_SELECTOR, "a.next-task")
        assert next_task.text and next_task.get_attribute("href") != f"{live_server.url}/tasks/{task_id}"
        next_task.click()
        wait(browser).until(
            EC.visibility_of_element_located((By.XPATH, "//button[normalize-space(.)='Завърши задачата']"))
        )


def fill_form(browser: Any, live: LiveServer, task_id: str) -> None:
    """Fill the task's form as a worker would: each field's default, or a plain value if required."""
    with live.services.uow() as uow:
        form_key = uow.session.scalar(select(CaseTask.form_key).where(CaseTask.public_id == task_id))
    form = live.services.forms.get(form_key)
    required = set(form.schema.get("required", []))
    for name, spec in form.schema["properties"].items():
        if name in required or "default" in spec:
            fill_field(browser, name, spec, spec.get("default"))


def fill_field(browser: Any, name: str, spec: dict[str, Any], default: Any) -> None:
    field_id = "field-" + name.replace("_", "-")
    kind = spec.get("type")
    if kind == "boolean":
        browser.find_element(By.ID, f"{field_id}-{'false' if default is False else 'true'}").click()
    elif "oneOf" in spec or "enum" in spec:
        values = [o["const"] for o in spec.get("oneOf", [])] or list(spec.get("enum", []))
        value = str(default if default is not None else values[0])
        choices = browser.find_elements(By.CSS_SELECTOR, f"input[name='f_{name}'][value='{value}']")
        if choices:
            choices[0].click()
        else:
            Select(browser.find_element(By.ID, field_id)).select_by_value(value)
    elif kind == "array":
        if default:
            browser.find_element(By.ID, field_id).send_keys("\n".join(str(item) for item in default))
    elif spec.get("format") == "date":
        browser.execute_script(
            "arguments[0].value = arguments[1]",
            browser.find_element(By.ID, field_id),
            default or "2025-09-01",
        )
    elif kind in ("integer", "number"):
        element = browser.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(str(default if default is not None else spec.get("minimum", 1)))
    else:
        element = browser.find_element(By.ID, field_id)
        element.clear()
        element.send_keys(str(default or "Проведен разговор."))


def test_case_page_draws_the_diagram_with_the_current_task_highlighted(browser, live_server):
    case_id, task_id = live_server.open_case(name="Милена С.")
    with live_server.services.uow() as uow:
        element_id = uow.session.scalar(select(CaseTask.element_id).where(CaseTask.public_id == task_id))
    sign_in(browser, live_server, user("kc-demo", "psychologist"))
    browser.get(f"{live_server.url}/cases/{case_id}")
    assert "Милена С." in browser.find_element(By.TAG_NAME, "h1").text
    wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-pathway-diagram][data-rendered='true']"))
    )
    current = browser.find_elements(By.CSS_SELECTOR, "#pathway-diagram svg .casepath-current")
    assert [el.get_attribute("data-element-id") for el in current] == [element_id]
    assert browser.find_elements(By.CSS_SELECTOR, "#pathway-diagram svg .casepath-done")
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == [], blocked


def test_a_worker_of_another_centre_cannot_open_the_case(browser, live_server):
    case_id, task_id = live_server.open_case(name="Теодора П.")
    sign_in(browser, live_server, user("kc-other", "social_worker"))
    for path in (f"/cases/{case_id}", f"/tasks/{task_id}"):
        browser.get(live_server.url + path)
        assert browser.find_element(By.TAG_NAME, "h1").text == "Не е намерено"
        assert "Теодора П." not in browser.page_source
    browser.get(live_server.url + "/inbox")
    assert "Теодора П." not in browser.page_source
