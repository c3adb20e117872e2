"""The case list export in real Chromium: the manager's case list offers the export, and its link
downloads a workbook with the list's cases (a formula-like name kept as text); axe finds nothing."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from selenium.webdriver.common.by import By

from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_file import axe_violations
from tests.browser.test_case_worker import sign_in

pytestmark = pytest.mark.browser
EVIL = "=1+2 Формула"


def downloaded(folder: Path, suffix: str, timeout: float = 15) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [path for path in folder.glob(f"*{suffix}") if path.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"nothing ending in {suffix} was downloaded to {folder}")


def test_the_export_link_of_the_case_list_downloads_the_cases(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    live_server.open_case(name=EVIL)
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(browser, live_server, user("kc-demo", "manager"))
    browser.get(live_server.url + "/cases?status=all")
    links = browser.find_element(By.CSS_SELECTOR, "p.exports")
    assert "Изтегляне на този списък" in links.text
    assert axe_violations(browser) == []
    browser.find_element(By.LINK_TEXT, "Excel (XLSX)").click()
    sheet = load_workbook(downloaded(tmp_path, ".xlsx")).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Номер на случая"
    assert "'" + EVIL in [row[-1] for row in rows[1:]]
    browser.find_element(By.LINK_TEXT, "CSV").click()
    text = downloaded(tmp_path, ".csv").read_text(encoding="utf-8-sig")
    assert "'" + EVIL in text and text.startswith("Номер на случая")


def test_a_social_worker_sees_no_export_link(browser: Any, live_server: LiveServer) -> None:
    sign_in(browser, live_server, user("kc-demo", "social_worker"))
    browser.get(live_server.url + "/cases?status=all")
    assert not browser.find_elements(By.CSS_SELECTOR, "p.exports")
