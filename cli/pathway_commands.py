"""``casepath pathways check|deploy|simulate|test|properties``: what coordinators run before deploying."""

from __future__ import annotations

import functools
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from babel import support

from cli.main import Context, console, err, fail, parse_when, pass_ctx
from engine.bpmn import property_sheet
from engine.errors import CasepathError, ValidationFailed
from engine.pathways import callees, decisions, lint, scenarios, simulation
from engine.pathways.forms import FormCatalog

TRANSLATIONS = Path(__file__).resolve().parents[1] / "web" / "translations"


def register(main: click.Group) -> None:
    main.add_command(pathways_group)


@click.group("pathways")
def pathways_group() -> None:
    """Check, simulate and deploy BPMN pathways."""


@pathways_group.command("check")
@click.argument("files", nargs=-1, required=True)
@pass_ctx
def check(ctx: Context, files: tuple[str, ...]) -> None:
    """One verdict per FILE (a .dmn file: per decision and rule); exit 0 if all are valid, 1 if any is not,
    2 on I/O errors."""
    forms = FormCatalog(ctx.settings.forms_dir)
    invalid = io_errors = 0
    for name in files:
        try:
            verdict: lint.Verdict | decisions.DecisionVerdict
            if name.lower().endswith(".dmn"):
                verdict = decisions.check_decision_document(Path(name).read_bytes(), name)[0]
            else:
                found = callees.pathway_files(ctx.settings.pathways_dir)
                verdict = lint.verdict_for_file(Path(name), forms, ctx.settings.run_limits.min_cycle, found)
        except OSError as error:
            err.print(f"{name}: cannot read: {error.strerror or error}")
            io_errors += 1
            continue
        console.print(verdict.summary(), markup=False)
        invalid += not verdict.valid
    if io_errors:
        sys.exit(2)
    sys.exit(1 if invalid else 0)


@pathways_group.command("properties")
@click.option("--json", "as_json", is_flag=True, help="print the declaration as JSON")
def properties_command(as_json: bool) -> None:
    """The BPMN extension properties Casepath reads: on which elements, of what type, whether required."""
    declared = property_sheet.as_json(translate)
    if as_json:
        click.echo(json.dumps({"properties": declared}, ensure_ascii=False, indent=2))
        return
    for item in declared:
        required = "required" if item["required"] else "optional"
        if item["fallback"]:
            required += f" (or from the {item['fallback']})"
        console.print(
            f"{item['name']}: {item['type']}, {required}; on {', '.join(item['elements'])}", markup=False
        )
        console.print(f"  {item['help']['en']}", markup=False)


@functools.cache
def _catalogue(locale: str) -> support.NullTranslations:
    return support.Translations.load(str(TRANSLATIONS), [locale])


def translate(locale: str, message: str) -> str:
    """A message id in ``locale`` through the web app's catalogues (the same texts the pages show)."""
    return str(_catalogue(locale).gettext(message))


@pathways_group.command("deploy")
@click.argument("file")
@click.option("--by", "username", required=True, help="the coordinator deploying it")
@pass_ctx
def deploy(ctx: Context, file: str, username: str) -> None:
    """Check FILE and store it as the pathway's newest version (by a coordinator of a centre using it)."""
    from engine.pathways.versions import upload_pathway
    from engine.people.permissions import can_edit_pathway
    from engine.people.users import get_user, principal_for

    try:
        data = Path(file).read_bytes()
    except OSError as error:
        fail(f"{file}: cannot read: {error.strerror or error}")
    services = ctx.services
    try:
        with services.uow() as uow:
            user = get_user(uow, username)
            who = principal_for(user)
            if not can_edit_pathway(who):
                fail(f"{username} is not a coordinator", 1)
            version = upload_pathway(uow, who, data, Path(file).name, services.forms)
            uow.commit()
    except CasepathError as error:
        _report(error)
    console.print(f"deployed {version.process_id} version {version.version} (sha256 {version.sha256[:12]})")


def _report(error: CasepathError) -> None:
    err.print(f"error: {error.message}", markup=False)
    for problem in getattr(error, "problems", []):
        err.print(f"  - {problem}", markup=False)
    sys.exit(1)


@pathways_group.command("simulate")
@click.argument("target")
@click.option("--data", "data_json", default="{}", help='JSON object: field values, e.g. {"goals_met": true}')
@click.option("--start", "start", default=None, help="admission date (ISO 8601), default now")
@click.option("--scenario", "scenario_file", default=None, help="drive the case by this scenario's timeline")
@click.option("--json", "as_json", is_flag=True, help="print the steps as a JSON list")
@pass_ctx
def simulate(
    ctx: Context, target: str, data_json: str, start: str | None, scenario_file: str | None, as_json: bool
) -> None:
    """Run FILE_OR_PATHWAY_ID on a virtual clock and print each step with its date.

    Without --scenario, people complete each task on its due date with its form's defaults.
    """
    try:
        data = json.loads(data_json)
    except json.JSONDecodeError as error:
        fail(f"--data: not JSON: {error.msg}")
    if not isinstance(data, dict):
        fail("--data: must be a JSON object")
    if scenario_file is not None and (start is not None or data):
        fail("--scenario gives the start and the data: leave out --start and --data")
    forms = FormCatalog(ctx.settings.forms_dir)
    parsed = _load_target(ctx, target, forms)
    if scenario_file is not None:
        result = scenarios.run(_load_scenario(Path(scenario_file)), parsed, forms).result
    else:
        start_at = parse_when(start, "--start") or datetime.now(UTC)
        result = simulation.simulate(parsed, forms, start_at, data)
    if as_json:
        click.echo(json.dumps(scenarios.steps_json(result.steps), ensure_ascii=False, indent=2))
    else:
        for step in result.steps:
            console.print(step.line(), markup=False)
    sys.exit(1 if result.incident is not None or result.stuck else 0)


@pathways_group.command("test")
@click.argument("target", required=False)
@click.option("--scenario", "scenario_file", default=None, help="run only this scenario file")
@pass_ctx
def test(ctx: Context, target: str | None, scenario_file: str | None) -> None:
    """Run the scenarios of PATHWAY_OR_FILE (or of every shipped pathway): one PASS or FAIL line each.

    Exit 0 when every scenario passes, 1 otherwise.
    """
    forms = FormCatalog(ctx.settings.forms_dir)
    plan: list[tuple[str, list[Path]]] = []
    if scenario_file is not None:
        path = Path(scenario_file)
        if not path.is_file():
            fail(f"--scenario: no such file: {scenario_file}")
        plan.append((target or str(path.resolve().parent.parent.name), [path]))
    elif target is not None:
        plan.append((target, scenarios.scenario_files(_pathway_file(ctx, target).parent)))
    else:
        called = callees.sub_pathways(ctx.settings.pathways_dir)  # proved by their callers' scenarios
        for bpmn in sorted(ctx.settings.pathways_dir.glob("*/*.bpmn")):
            files = scenarios.scenario_files(bpmn.parent)
            if files or bpmn.stem not in called:
                plan.append((str(bpmn), files))
    if not plan:
        fail(f"no pathways in {ctx.settings.pathways_dir}", 1)
    failed = ran = 0
    for pathway_target, files in plan:
        if not files:
            err.print(f"{pathway_target}: no scenarios (add them to its scenarios/ folder)", markup=False)
            failed += 1
            continue
        parsed = _load_target(ctx, pathway_target, forms)
        for path in files:
            ran += 1
            try:
                line = scenarios.run(scenarios.load(path), parsed, forms).line()
            except ValidationFailed as error:
                line = f"FAIL {error.message}"
            console.print(line, markup=False)
            failed += line.startswith("FAIL")
    sys.exit(1 if failed else 0)


def _load_scenario(path: Path) -> scenarios.Scenario:
    try:
        return scenarios.load(path)
    except ValidationFailed as error:
        fail(f"--scenario: {error.message}")


def _pathway_file(ctx: Context, target: str) -> Path:
    path = Path(target)
    return path if path.exists() else ctx.settings.pathways_dir / target / f"{target}.bpmn"


def _load_target(ctx: Context, target: str, forms: FormCatalog) -> Any:
    path = _pathway_file(ctx, target)
    try:
        data = path.read_bytes()
    except OSError:
        fail(f"{target}: no such file or shipped pathway")
    found, min_cycle = callees.pathway_files(ctx.settings.pathways_dir), ctx.settings.run_limits.min_cycle
    verdict, parsed = lint.check_document(data, forms, str(target), min_cycle, callees=found)
    if parsed is None:
        console.print(verdict.summary(), markup=False)
        sys.exit(1)
    return parsed
