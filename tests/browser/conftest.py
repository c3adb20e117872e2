"""Real Chromium against the app served from a thread: a temporary SQLite database, the shipped pathways.

Debian's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` drive it through Selenium. Without them
the tests skip with one line, unless ``CI=true``, where they fail. A failing test leaves a screenshot
in ``tests/browser/screenshots/``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from werkzeug.serving import make_server

from engine.casework import cases
from engine.config import Settings
from engine.pathways import versions
from engine.people.centres import ensure_centre
from engine.people.permissions import SYSTEM
from engine.people.roles import ROLES
from engine.people.users import create_user, get_user, principal_for
from engine.services import Services
from engine.store import schema
from engine.store.models import CaseTask, User
from tests.conftest import FIXTURES, IN_CI, WORKFLOWS
from tests.engine.conftest import mini_pathway
from tests.web.conftest import compile_catalogs
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "browser test password"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def need_chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if not missing:
        return
    if IN_CI:
        pytest.fail(f"Chromium is required in CI: missing {', '.join(missing)}")
    pytest.skip(f"Chromium unavailable: missing {', '.join(missing)}")


@dataclass
class LiveServer:
    url: str
    services: Services
    shipped: bool

    def open_case(self, centre: str = "kc-demo", name: str = "Десислава Г.") -> tuple[str, str]:
        """A new case opened by the centre's manager; its public id and its first task's."""
        with self.services.uow() as uow:
            manager = principal_for(get_user(uow, user(centre, "manager")))
            intake = cases.Intake(
                centre_code=centre,
                display_name=name,
                legal_basis="referral",
                target_group="domestic_violence",
                birth_date=date(1990, 4, 1),
                referral_number="ДСП-2025-1001",
            )
            case = cases.open_case(uow, manager, intake)
            uow.commit()
            task = uow.session.scalar(
                select(CaseTask.public_id).where(CaseTask.case_id == case.id, CaseTask.status == "open")
            )
            return case.public_id, str(task)


def user(centre: str, role: str) -> str:
    return f"{centre.split('-')[0]}{'' if centre == 'kc-demo' else '2'}-{role.replace('_', '-')}"


def shipped_pathways_ready() -> bool:
    return len(versions.shipped_files(WORKFLOWS)) >= 3 and any((WORKFLOWS / "forms").glob("*.json"))


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    need_chromium()
    compile_catalogs()
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'casepath.sqlite3'}"
    schema.upgrade(url)
    shipped = shipped_pathways_ready()
    settings = Settings(
        database_url=url,
        secret_key="browser-tests-secret-key",
        workflows_dir=WORKFLOWS if shipped else FIXTURES,
        instance_dir=folder,
    )
    services = Services.from_settings(settings)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "engine.people.users._HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
        )
        build_world(services, shipped)
    app = create_app(settings, services)
    # Every browser test signs in from 127.0.0.1: the per-address limit (tests/web/test_auth.py tests it)
    # would refuse the suite's own sign-ins after ten a minute.
    app.config["CASEPATH_LOGIN_LIMIT"] = "1000 per minute"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="casepath-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", services, shipped)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        services.engine.dispose()


def build_world(services: Services, shipped: bool) -> None:
    with services.uow() as uow:
        ensure_centre(uow, SYSTEM, "kc-demo", "Кризисен център „Надежда“", "crisis_centre", 12, "ул. Тайна 1")
        ensure_centre(uow, SYSTEM, "kc-other", "Кризисен център „Друг“", "crisis_centre", 10, "ул. Друга 2")
        for role in ROLES:
            for centre in ("kc-demo", "kc-other"):
                create_user(uow, SYSTEM, user(centre, role.code), PASSWORD, centre, role.code, role.lane_bg)
        if shipped:
            versions.deploy_shipped(uow, WORKFLOWS, services.forms, SYSTEM)
        else:
            versions.deploy(uow, mini_pathway(), services.forms, SYSTEM, "mini.bpmn")
        uow.commit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def chrome(live_server: LiveServer) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def browser(chrome: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The session's Chromium with no cookies, every user back in Bulgarian (a test that chose English
    leaves it stored with the user); a screenshot is kept when the test fails."""
    chrome.get(live_server.url + "/healthz")
    chrome.delete_all_cookies()
    with live_server.services.uow() as uow:
        uow.session.execute(update(User).values(locale="bg"))
        uow.commit()
    chrome.get_log("browser")  # start each test with an empty console
    yield chrome
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        chrome.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
