"""A whole browser session against a real ``casepath serve`` process, then its log grepped.

Sign-in, a case search by name, opening the case, completing a task, and an intake that meets a
forced database error (a trigger refuses the insert): none of the names, the search text, the
referral number, the centre's confidential address, the password or any SQL parameter may appear
in what the server process wrote. The server runs as a subprocess, its stdout and stderr captured
to one file, exactly as an operator would collect them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from argon2 import PasswordHasher
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select
from sqlalchemy import text

from engine.config import Settings
from engine.services import Services
from engine.store import schema
from tests.browser.conftest import (
    CHROMEDRIVER,
    CHROMIUM,
    FLAGS,
    PASSWORD,
    SCREENSHOTS,
    LiveServer,
    build_world,
    need_chromium,
    shipped_pathways_ready,
    user,
)
from tests.browser.test_case_worker import button, field_by_label, fill_form, sign_in, wait
from tests.conftest import FIXTURES, WORKFLOWS
from tests.web.conftest import compile_catalogs

pytestmark = pytest.mark.browser
CASE_NAME = "Галина Фотева"
SEARCH = "Галина Ф"
INTAKE_NAME = "Снежана Бонева"
INTAKE_REFERRAL = "ДСП-7781-ТАЙНО"
CASE_REFERRAL = "ДСП-2025-1001"  # LiveServer.open_case's
ADDRESS = "ул. Тайна 1"  # the shelter's address (build_world)
# SQLite resolves a trigger's tables when it runs: every new case fails with an OperationalError (a 500).
FORCED = "CREATE TRIGGER forced_failure BEFORE INSERT ON case_file BEGIN SELECT * FROM no_such_table; END"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def casepath_command() -> list[str]:
    script = Path(sys.executable).with_name("casepath")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from cli.main import run; run()"]


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"casepath serve exited: {log.read_text(encoding='utf-8', errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)  # polling a process that is starting, not waiting for the page
    pytest.fail("casepath serve did not answer within 60 s")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LiveServer, Path]]:
    """``casepath serve`` on a fresh SQLite database; yields the server and the file of its output."""
    need_chromium()
    compile_catalogs()
    url = f"sqlite:///{tmp_path / 'casepath.sqlite3'}"
    schema.upgrade(url)
    shipped = shipped_pathways_ready()
    workflows = WORKFLOWS if shipped else FIXTURES
    settings = Settings(
        database_url=url, secret_key="log-test", workflows_dir=workflows, instance_dir=tmp_path
    )
    services = Services.from_settings(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "engine.people.users._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        )
        build_world(services, shipped)
    port = free_port()
    env = {
        **os.environ,
        "CASEPATH_DATABASE_URL": url,
        "CASEPATH_SECRET_KEY": "log-test",
        "CASEPATH_WORKFLOWS_DIR": str(workflows),
        "CASEPATH_INSTANCE_DIR": str(tmp_path),
        "PYTHONWARNINGS": "default",  # warnings are printed, so they are grepped too
    }
    log = tmp_path / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*casepath_command(), "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    live = LiveServer(f"http://127.0.0.1:{port}", services, shipped)
    try:
        wait_until_up(live.url, server, log)
        yield live, log
    finally:
        server.terminate()
        server.wait(timeout=30)
        services.engine.dispose()


@pytest.fixture
def driver(request: pytest.FixtureRequest) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    yield browser
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(SCREENSHOTS / "private_logs.png"))
    browser.quit()


def forbidden_in_logs() -> list[str]:
    plain = [CASE_NAME, SEARCH, INTAKE_NAME, INTAKE_REFERRAL, CASE_REFERRAL, ADDRESS, PASSWORD]
    encoded = [quote(value) for value in plain] + [
        quote(value, safe="").replace("%20", "+") for value in plain
    ]
    words = [word for name in (CASE_NAME, SEARCH, INTAKE_NAME) for word in name.split() if len(word) > 2]
    return [*plain, *encoded, *words, "parameters:", "[SQL:"]  # a form sends "Галина+Ф": words too


def test_a_browser_session_leaves_no_personal_data_in_the_server_log(served, driver):
    live, log = served
    live.open_case(name=CASE_NAME)
    sign_in(driver, live, user("kc-demo", "social_worker"))

    driver.get(live.url + "/cases")
    field_by_label(driver, "Номер или име").send_keys(SEARCH)
    button(driver, "Покажи").click()
    wait(driver).until(EC.url_contains("q="))
    driver.find_element(By.XPATH, f"//tr[contains(., '{CASE_NAME}')]//a").click()
    wait(driver).until(EC.presence_of_element_located((By.XPATH, f"//*[contains(., '{CASE_NAME}')]")))

    # the inbox's search by name, and a saved filter that keeps it: neither reaches the log
    driver.get(live.url + "/inbox")
    field_by_label(driver, "Номер на случай или име").send_keys(SEARCH)
    button(driver, "Покажи").click()
    wait(driver).until(EC.url_contains("q="))
    assert CASE_NAME in driver.find_element(By.CSS_SELECTOR, "table.inbox").text
    driver.find_element(By.XPATH, "//summary[contains(., 'Запази тези филтри')]").click()
    field_by_label(driver, "Име на филтъра").send_keys("Търсене")
    button(driver, "Запази").click()
    wait(driver).until(EC.presence_of_element_located((By.LINK_TEXT, "Търсене")))
    driver.find_element(By.LINK_TEXT, "Търсене").click()
    wait(driver).until(EC.url_contains("q="))
    case_link = f"//tr[contains(., '{CASE_NAME}')]//a[starts-with(@href, '/cases/')]"
    driver.find_element(By.XPATH, case_link).click()
    wait(driver).until(EC.presence_of_element_located((By.XPATH, f"//*[contains(., '{CASE_NAME}')]")))

    task_link = driver.find_element(By.CSS_SELECTOR, "a[href^='/tasks/']")
    task_id = task_link.get_attribute("href").rsplit("/", 1)[-1]
    task_link.click()
    fill_form(driver, live, task_id)
    button(driver, "Завърши задачата").click()
    wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".flash-success")))

    with live.services.engine.begin() as connection:
        connection.execute(text(FORCED))
    driver.get(live.url + "/intake")
    driver.find_element(By.ID, "display_name").send_keys(INTAKE_NAME)
    driver.find_element(By.CSS_SELECTOR, "input[name='legal_basis']").click()
    Select(driver.find_element(By.ID, "target_group")).select_by_index(1)
    field_by_label(driver, "Номер на направлението или заповедта").send_keys(INTAKE_REFERRAL)
    driver.find_element(By.ID, "display_name").submit()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".status-code")))
    assert "500" in driver.find_element(By.CSS_SELECTOR, ".status-code").text

    written = log.read_text(encoding="utf-8", errors="replace")
    assert '"GET /cases HTTP/1.1" 200' in written  # the access log is there, the search without its query
    assert '"GET /inbox HTTP/1.1" 200' in written and '"POST /inbox/filters HTTP/1.1" 302' in written
    assert "unexpected OperationalError on POST /intake" in written  # so is the forced error
    leaked = [value for value in forbidden_in_logs() if value in written]
    assert leaked == [], f"personal data in the server log: {leaked}"
