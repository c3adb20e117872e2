"""The pathway studio in real Chromium: a coordinator adds a task to the adult pathway, sees the missing
form marked on it, deploys; a change to the monthly review waits for a manager, who approves it.

The new task is put on the diagram through the modeler's own API (a drag from the palette is what a
person does; the result is the same shape); everything after that goes through the page: the
properties panel, the buttons, the problems panel, the approval page.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy import select

from engine.pathways import diff, versions
from engine.store.models import AuditEvent, Case, PathwayVersion
from tests.browser.conftest import LiveServer, user
from tests.browser.test_case_worker import button, sign_in

pytestmark = pytest.mark.browser
KEY = "crisis_centre_adult"
WAIT = 60  # a deploy runs every scenario of the pathway twice (refused, then confirmed)

ADD_TASK = """
const modeler = window.casepathModeler;
const registry = modeler.get('elementRegistry'), modeling = modeler.get('modeling');
const flow = registry.get('Flow_ReviewEscalated');
const end = registry.get('End_ReviewEscalated');
const bo = modeler.get('bpmnFactory').create('bpmn:UserTask', {id: 'Task_CallDSP', name: 'Обаждане до ДСП'});
const shape = modeler.get('elementFactory').createShape({type: 'bpmn:UserTask', businessObject: bo});
const at = {x: end.x + 160, y: end.y + end.height / 2};
modeling.createShape(shape, at, end.parent);
modeling.reconnectEnd(flow, shape, {x: shape.x, y: shape.y + shape.height / 2});
modeling.moveElements([end], {x: 300, y: 0});
modeling.connect(shape, end);
modeler.get('selection').select(shape);
"""


def wait(browser: Any) -> WebDriverWait:
    return WebDriverWait(browser, WAIT)


def open_editor(browser: Any, live: LiveServer) -> float:
    started = time.monotonic()
    browser.get(f"{live.url}/pathways/{KEY}/edit")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#studio-canvas[data-ready=true]")))
    return time.monotonic() - started


def open_casepath_group(browser: Any) -> None:
    header = wait(browser).until(
        EC.element_to_be_clickable(
            (By.CSS_SELECTOR, "[data-group-id='group-casepath'] .bio-properties-panel-group-header")
        )
    )
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def panel_field(browser: Any, name: str) -> Any:
    return wait(browser).until(EC.element_to_be_clickable((By.ID, f"bio-properties-panel-casepath-{name}")))


def choose(browser: Any, name: str, value: str) -> None:
    """Pick an option; chromedriver's option click fires no `input` event, which the panel listens to."""
    field = panel_field(browser, name)
    Select(field).select_by_value(value)
    browser.execute_script("arguments[0].dispatchEvent(new Event('input', {bubbles: true}))", field)


def type_into(browser: Any, name: str, text: str) -> None:
    field = panel_field(browser, name)
    field.clear()
    field.send_keys(text, Keys.TAB)  # leaving the field commits it at once (typing is debounced)


def save(browser: Any) -> int:
    before = browser.find_element(By.ID, "studio-save").get_attribute("data-round-trip-ms")
    button(browser, "Запази чернова").click()
    wait(browser).until(
        lambda b: (
            b.find_element(By.ID, "studio-save").get_attribute("data-round-trip-ms") not in (None, before)
            or "Запазено" in b.find_element(By.ID, "studio-status").text
        )
    )
    wait(browser).until(lambda b: "Запазено" in b.find_element(By.ID, "studio-status").text)
    return int(browser.find_element(By.ID, "studio-save").get_attribute("data-round-trip-ms"))


def deploy(browser: Any, note: str) -> str:
    note_field = browser.find_element(By.ID, "studio-note")
    note_field.clear()
    note_field.send_keys(note)
    browser.execute_script(
        "document.getElementById('studio-deploy-result').replaceChildren()"
    )  # the last answer
    browser.find_element(By.CSS_SELECTOR, "#studio-deploy button[type=submit]").click()
    line = wait(browser).until(EC.presence_of_element_located((By.ID, "studio-deploy-line")))
    if (
        line.get_attribute("data-status") == "422"
        and browser.find_element(By.ID, "studio-confirm-field").is_displayed()
    ):
        browser.find_element(By.ID, "studio-confirm").click()  # the failing scenarios are named above it
        browser.find_element(By.CSS_SELECTOR, "#studio-deploy button[type=submit]").click()
        wait(browser).until(
            lambda b: b.find_element(By.ID, "studio-deploy-line").get_attribute("data-status") != "422"
        )
    return str(browser.find_element(By.ID, "studio-deploy-line").get_attribute("data-status"))


DV_FILED = "11_dv_application_already_filed"


def update_a_scenario_the_change_breaks(browser: Any) -> None:
    """Six-weekly reviews move the first review from 30 Sep to 12 Oct: the coordinator runs the scenarios,
    opens the one that now fails and corrects its expectation; it passes against the draft."""
    button(browser, "Пусни сценариите").click()
    failing = f"#studio-tests li[data-scenario='{DV_FILED}']"
    passed = "const item = document.querySelector(arguments[0]); return item && item.dataset.passed;"
    wait(browser).until(lambda b: b.execute_script(passed, failing) == "false")  # this run's answer
    item = browser.find_element(By.CSS_SELECTOR, failing)
    assert "не минава" in item.text
    item.find_element(By.TAG_NAME, "button").click()
    editor = wait(browser).until(EC.visibility_of_element_located((By.ID, "studio-scenario-json")))
    scenario = json.loads(editor.get_attribute("value"))
    scenario["until"] = "2025-10-13"
    for expectation in scenario["expect"]:
        if expectation.get("task") == "Task_PlanReview":
            expectation["opened"] = "2025-10-12T10:00:00+03:00"
    browser.execute_script(
        "arguments[0].value = arguments[1]", editor, json.dumps(scenario, ensure_ascii=False)
    )
    button(browser, "Запази сценария и го изпълни").click()
    wait(browser).until(
        lambda b: b.find_element(By.ID, "studio-scenario-result").get_attribute("data-status") == "200"
    )
    assert "сценарият минава" in browser.find_element(By.ID, "studio-scenario-result").text
    wait(browser).until(lambda b: b.execute_script(passed, failing) == "true")


def test_coordinator_adds_a_task_and_a_manager_approves_a_clock_change(browser, live_server):
    if not live_server.shipped:
        pytest.skip("needs the shipped pathways")
    with live_server.services.uow() as uow:
        first = versions.latest_version(uow, KEY)
        assert first is not None
        first_version = first.version
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    load_seconds = open_editor(browser, live_server)
    import_ms = browser.find_element(By.ID, "studio-canvas").get_attribute("data-load-ms")

    browser.execute_script(ADD_TASK)
    open_casepath_group(browser)
    choose(browser, "role", "social_worker")
    type_into(browser, "due", "P20D")
    wait(browser).until(
        lambda b: "20 дни" in b.find_element(By.CSS_SELECTOR, "[data-group-id='group-casepath']").text
    )
    round_trip = save(browser)  # no form yet
    marked = browser.find_element(By.CSS_SELECTOR, "g.djs-element[data-element-id='Task_CallDSP']")
    assert "cp-error" in marked.get_attribute("class")
    line = browser.find_element(By.CSS_SELECTOR, "#studio-problems li[data-element-id='Task_CallDSP']")
    assert line.get_attribute("data-code") == "form_missing" and "формуляр" in line.text
    browser.find_element(By.ID, "studio-canvas").click()  # select nothing, then pick it from the list
    line.find_element(By.TAG_NAME, "button").click()
    open_casepath_group(browser)
    choose(browser, "form", "follow_up")
    save(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "#studio-problems li[data-element-id='Task_CallDSP']")

    button(browser, "Пусни сценариите").click()
    wait(browser).until(lambda b: "сценари" in b.find_element(By.ID, "studio-tests").text)
    assert deploy(browser, "Обаждане до ДСП след ескалация") == "201"

    browser.find_element(By.CSS_SELECTOR, "#studio-try button[type=submit]").click()  # "Опитай"
    wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#studio-steps li[data-kind=task]"))
    assert browser.find_elements(By.CSS_SELECTOR, "g.djs-element.cp-visited")

    browser.execute_script(
        "window.casepathModeler.get('selection').select("
        "window.casepathModeler.get('elementRegistry').get('Timer_Monthly'))"
    )
    open_casepath_group(browser)
    type_into(browser, "timer", "R/P6W")
    save(browser)
    update_a_scenario_the_change_breaks(browser)
    old_case, _ = live_server.open_case()  # opened before the change is approved
    assert deploy(browser, "Прегледът на всеки шест седмици") == "202"
    link = browser.find_element(By.CSS_SELECTOR, "#studio-deploy-result a")
    approval_url = link.get_attribute("href")

    browser.delete_all_cookies()
    sign_in(browser, live_server, user("kc-demo", "manager"))
    browser.get(approval_url)
    # the reasons read in the manager's language (web/studio_words.py), not as the engine's English line
    assert "Timer_Monthly: Таймер: " in browser.find_element(By.ID, "approval-reasons").text
    assert "6 седмици" in browser.find_element(By.ID, "approval-reasons").text
    assert "R/P6W" in browser.find_element(By.ID, "studio-changes").text
    wait(browser).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, "[data-studio-diff][data-rendered=true]"))
    )
    assert browser.find_elements(
        By.CSS_SELECTOR, "[data-side=new] g.djs-element.cp-changed[data-element-id='Timer_Monthly']"
    )
    browser.find_element(By.ID, "approval-reason").send_keys("Съгласно новата методика")
    button(browser, "Одобри и пусни").click()
    wait(browser).until(lambda b: b.find_element(By.ID, "approval-status").text == "одобрено")

    with live_server.services.uow() as uow:
        latest = versions.latest_version(uow, KEY)
        assert latest is not None and latest.version == first_version + 2
        assert "R/P6W" in latest.bpmn_xml and "Task_CallDSP" in latest.bpmn_xml
        assert latest.scenarios is not None  # deployed with the updated scenario
        assert latest.scenarios[DV_FILED]["until"] == "2025-10-13"
        actions = set(uow.session.scalars(select(AuditEvent.action)))
    assert {
        "pathway.draft_save",
        "pathway.scenario_save",
        "pathway.approval_request",
        "pathway.approved",
    } <= actions
    # a new case starts on the new version; the case opened before stays on its own
    new_case, _ = live_server.open_case()
    with live_server.services.uow() as uow:
        on = dict(
            uow.session.execute(
                select(Case.public_id, PathwayVersion.version)
                .join(PathwayVersion, Case.pathway_version_id == PathwayVersion.id)
                .where(Case.public_id.in_([old_case, new_case]))
            ).all()
        )
    assert on == {old_case: first_version + 1, new_case: first_version + 2}
    print(
        f"\neditor page {load_seconds * 1000:.0f} ms (fetch and import {import_ms} ms);"
        f" save and lint {round_trip} ms"
    )


MIWG = (
    Path(__file__).resolve().parents[3] / "shared" / "conformance" / "miwg" / "bpmn.io_Camunda_Modeler_18.6.1"
)
ROUND_TRIP = """
const [xml, done] = [arguments[0], arguments[arguments.length - 1]];
window.casepathModeler.importXML(xml)
  .then(() => window.casepathModeler.saveXML({format: true}))
  .then((saved) => done(saved.xml), (error) => done('ERROR ' + error.message));
"""


def _elements(xml: str) -> dict[str, tuple[str, dict[str, str], str]]:
    """Every element with an id: its qualified tag, attributes and text, as a parser sees them."""
    root = etree.fromstring(
        xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, remove_comments=True)
    )
    found = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            found[element.get("id")] = (element.tag, dict(element.attrib), (element.text or "").strip())
    return found


def test_a_bpmn_io_export_opens_and_saves_unchanged(browser, live_server):
    if not MIWG.is_dir() or not live_server.shipped:
        pytest.skip("needs ../shared/conformance/miwg and the shipped pathways")
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    open_editor(browser, live_server)
    browser.set_script_timeout(30)
    exports = sorted(MIWG.glob("*-export.bpmn"))
    assert exports
    for path in exports:
        original = path.read_text(encoding="utf-8")
        saved = browser.execute_async_script(ROUND_TRIP, original)
        assert not saved.startswith("ERROR"), f"{path.name}: {saved}"
        assert _elements(saved) == _elements(original), path.name


def test_casepath_properties_and_unknown_extensions_survive_a_save(browser, live_server):
    if not live_server.shipped:
        pytest.skip("needs the shipped pathways")
    sign_in(browser, live_server, user("kc-demo", "coordinator"))
    open_editor(browser, live_server)
    original = (
        Path(__file__).resolve().parents[2] / "workflows" / "pathways" / KEY / f"{KEY}.bpmn"
    ).read_text(encoding="utf-8")
    extra = (
        '<spiffworkflow:unitTests><spiffworkflow:unitTest id="ut1"><spiffworkflow:inputJson>{}'
        "</spiffworkflow:inputJson></spiffworkflow:unitTest></spiffworkflow:unitTests>"
    )
    marked = original.replace("</spiffworkflow:properties>", "</spiffworkflow:properties>" + extra, 1)
    saved = browser.execute_async_script(ROUND_TRIP, marked)
    assert not saved.startswith("ERROR"), saved
    assert 'id="ut1"' in saved and "<spiffworkflow:inputJson>{}</spiffworkflow:inputJson>" in saved
    before, after = diff.summary(marked.encode("utf-8")), diff.summary(saved.encode("utf-8"))
    assert diff.compare(before, after).as_json() == {"added": [], "removed": [], "changed": []}
    assert diff.canonical(saved.encode("utf-8")).count(b"spiffworkflow:property ") == original.count(
        "<spiffworkflow:property "
    )
