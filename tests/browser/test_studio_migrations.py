"""The "Migrate running cases" page in real Chromium: a coordinator previews two open adult cases against a
new version, executes, runs the batch (the progress bar follows the server) and reverts it."""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from engine.pathways import versions
from engine.people.permissions import SYSTEM
from engine.store.models import Case, CaseTask
from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_worker import button, sign_in

pytestmark = pytest.mark.browser
KEY = "crisis_centre_adult"


def wait(browser: Any) -> WebDriverWait:
    return WebDriverWait(browser, 30)


def _renamed_version(live: LiveServer) -> tuple[int, int]:
    """A new version whose first task has another name (no clock moves: no approval needed)."""
    with live.services.uow() as uow:
        latest = versions.latest_version(uow, KEY)
        assert latest is not None
        xml = latest.bpmn_xml.replace(
            'name="Приемане: документи, съгласие, декларации', 'name="Приемане: документи и съгласие', 1
        )
        assert xml != latest.bpmn_xml
        new = versions.deploy(uow, xml.encode("utf-8"), live.services.forms, SYSTEM, "adult.bpmn")
        uow.commit()
        return latest.version, new.version


def test_preview_execute_run_and_revert(browser: Any, live_server: LiveServer) -> None:
    if not live_server.shipped:
        pytest.skip("the shipped pathways are needed")
    opened = [live_server.open_case(name=name)[0] for name in ("Ана Б.", "Вера Г.")]
    source, target = _renamed_version(live_server)
    with live_server.services.uow() as uow:
        numbers = list(uow.session.scalars(select(Case.number).where(Case.public_id.in_(opened))))
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    browser.get(f"{live_server.url}/pathways/{KEY}/versions")
    browser.find_element(By.ID, "migrate-link").click()
    Select(browser.find_element(By.ID, "migrate-from")).select_by_value(str(source))
    Select(browser.find_element(By.ID, "migrate-to")).select_by_value(str(target))
    browser.find_element(By.ID, "migrate-preview").click()
    table = wait(browser).until(EC.presence_of_element_located((By.ID, "preview-table")))
    for number in numbers:
        row = table.find_element(By.XPATH, f".//tr[td[1][normalize-space(.)='{number}']]")
        assert "Приемане: документи и съгласие" in row.text and "може да премине" in row.text
        assert "Ана" not in row.text and "Вера" not in row.text  # no personal data for a coordinator
    button(browser, "Изпълни преминаването").click()
    wait(browser).until(EC.presence_of_element_located((By.ID, "batch-run")))
    assert browser.find_element(By.ID, "batch-status").text == "готово за изпълнение"
    button(browser, "Изпълни").click()  # the script runs it through the API and follows the progress
    wait(browser).until(EC.presence_of_element_located((By.ID, "batch-revert")))
    progress = browser.find_element(By.ID, "batch-progress")
    assert progress.get_attribute("value") == progress.get_attribute("max")
    for number in numbers:
        state = browser.find_element(
            By.XPATH, f"//table[@id='batch-table']//tr[td[1][normalize-space(.)='{number}']]/td[4]"
        )
        assert state.text == "преместен"
    with live_server.services.uow() as uow:
        names = set(
            uow.session.scalars(
                select(CaseTask.name).join(Case).where(Case.public_id.in_(opened), CaseTask.status == "open")
            )
        )
        assert any("документи и съгласие" in name for name in names)
    browser.find_element(By.ID, "batch-revert").click()
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".state-reverted")))
    with live_server.services.uow() as uow:
        versions_now = set(
            uow.session.scalars(select(Case.pathway_version_id).where(Case.public_id.in_(opened)))
        )
        latest = versions.latest_version(uow, KEY)
        assert latest is not None and latest.id not in versions_now
    errors = [
        e for e in browser.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]
    assert not errors
