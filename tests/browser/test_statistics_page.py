"""The statistics page in real Chromium: the manager opens it from the menu, sees this month's tables
with the small counts hidden, downloads the CSV; axe finds nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_export import downloaded
from tests.browser.test_case_file import axe_violations
from tests.browser.test_case_worker import sign_in

pytestmark = pytest.mark.browser


def test_the_manager_reads_and_downloads_this_month_s_statistics(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    live_server.open_case(name="Статистика Т.")
    browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    sign_in(browser, live_server, user("kc-demo", "manager"))
    browser.find_element(By.LINK_TEXT, "Статистика").click()
    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("Анонимизирана статистика за ")
    captions = [caption.text for caption in browser.find_elements(By.CSS_SELECTOR, ".statistics caption")]
    assert "Настанени по пол" in captions and len(captions) % 7 == 0
    assert "Статистика Т." not in browser.page_source
    assert axe_violations(browser) == []
    browser.find_element(By.LINK_TEXT, "Изтегляне като CSV").click()
    text = downloaded(tmp_path, ".csv").read_text(encoding="utf-8-sig")
    assert text.startswith("Месец,Център,Показател,Категория,Брой") and "Статистика Т." not in text
