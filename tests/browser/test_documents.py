"""An outgoing document in real Chromium: a social worker of the crisis centre generates the
notification to ДСП of an urgent admission on the case page and downloads it; the PDF's text, read with
pdftotext (poppler-utils), carries the case number, the outgoing number, the centre's name and
correspondence address, and never the confidential address. axe finds nothing on the page."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import select

from engine.casework import cases
from engine.people.users import get_user, principal_for
from engine.store.models import CaseTask, Centre
from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_export import downloaded
from tests.browser.test_case_file import axe_violations, flashed
from tests.browser.test_case_worker import button, sign_in
from tests.conftest import IN_CI

pytestmark = pytest.mark.browser
CORRESPONDENCE = "п.к. 120, 8600 Ямбол"


def pdftotext(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext unavailable: install poppler-utils")
    return subprocess.run(
        [tool, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def urgent_case(live: LiveServer) -> tuple[str, str]:
    """An urgent admission whose notification to ДСП is done; the case's public id and number."""
    with live.services.uow() as uow:
        centre = uow.session.scalar(select(Centre).where(Centre.code == "kc-demo"))
        assert centre is not None
        centre.correspondence_address = CORRESPONDENCE
        worker = principal_for(get_user(uow, user("kc-demo", "social_worker")))
        intake = cases.Intake("kc-demo", "Росица Т.", "urgent", "domestic_violence", sex="female")
        case = cases.open_case(uow, worker, intake)
        task = uow.session.scalar(
            select(CaseTask).where(CaseTask.case_id == case.id, CaseTask.element_id == "Task_NotifyDSP")
        )
        assert task is not None and task.form_key == "authority_notification"
        answers = {"notification_sent": True, "channel": "phone", "content": "Настанена през нощта."}
        cases.complete_task(uow, worker, task.public_id, answers, live.services.forms)
        uow.commit()
        return case.public_id, case.number


def test_a_document_is_generated_on_the_case_page_and_downloaded_as_a_pdf(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    if not live_server.shipped:
        pytest.skip("the shipped pathways are not deployed")
    case_id, number = urgent_case(live_server)
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(browser, live_server, user("kc-demo", "social_worker"))
    browser.get(f"{live_server.url}/cases/{case_id}")
    section = browser.find_element(By.CSS_SELECTOR, "section.case-outgoing")
    assert "Документи до ДСП и ОЗД" in section.text and "Още не може да се създаде" in section.text
    Select(browser.find_element(By.ID, "document-kind")).select_by_visible_text(
        "Уведомление до ДСП за спешно настаняване"
    )
    button(browser, "Създаване").click()
    flashed(browser, "е създаден")
    assert axe_violations(browser) == []
    row = browser.find_element(By.CSS_SELECTOR, "table.outgoing-documents tbody tr")
    outgoing = row.find_elements(By.TAG_NAME, "td")[1].text
    assert outgoing.startswith("КЦ-") and "Уведомление до ДСП за спешно настаняване" in row.text
    row.find_element(By.PARTIAL_LINK_TEXT, "Изтегляне (PDF)").click()
    pdf = downloaded(tmp_path, ".pdf")
    assert pdf.name == f"{outgoing}.pdf"
    text = " ".join(pdftotext(pdf).split())
    for phrase in (number, outgoing, "Кризисен център „Надежда“", CORRESPONDENCE, "УВЕДОМЛЕНИЕ ЗА СПЕШНО"):
        assert phrase in text, phrase
    assert "Тайна" not in text  # the centre's confidential address (ул. Тайна 1)
