"""The manager's dashboard in real Chromium: lands there, the four charts drawn, their tables beside them,
a figure's link opens the list behind it.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_worker import sign_in

pytestmark = pytest.mark.browser
WAIT = 15


def test_the_manager_lands_on_the_dashboard_with_its_charts_drawn(
    browser: Any, live_server: LiveServer
) -> None:
    live_server.open_case(name="Росица Д.")
    sign_in(browser, live_server, user("kc-demo", "manager"))
    WebDriverWait(browser, WAIT).until(EC.url_contains("/dashboard"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Табло"
    WebDriverWait(browser, WAIT).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-dashboard-charts][data-drawn='true']"))
    )
    canvases = browser.find_elements(By.CSS_SELECTOR, "canvas[data-chart]")
    assert [canvas.get_attribute("data-chart") for canvas in canvases] == [
        "occupancy",
        "caseload",
        "stay_length",
        "overdue",
    ]
    for canvas in canvases:
        assert canvas.get_attribute("data-drawn") == "true"
        assert int(canvas.get_attribute("width")) > 100 and int(canvas.get_attribute("height")) > 100
        # something was painted: not every pixel of the canvas is transparent
        painted = browser.execute_script(
            "const c = arguments[0], d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            "for (let i = 3; i < d.length; i += 4) if (d[i]) return true; return false;",
            canvas,
        )
        assert painted
    tables = browser.find_elements(By.CSS_SELECTOR, "figure.chart table.chart-table")
    assert len(tables) == 4
    places = browser.find_element(By.PARTIAL_LINK_TEXT, "заети места")
    # the browser tests share one server: other tests' residents count too, so at least this one
    taken = int(places.text.split("/")[0])
    assert taken >= 1 and places.text.split("\n")[0].endswith("/ 12")
    places.click()
    WebDriverWait(browser, WAIT).until(EC.url_contains("stay=staying"))
    assert "Росица Д." in browser.find_element(By.TAG_NAME, "main").text
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not [entry for entry in errors if "favicon.ico" not in entry["message"]]
