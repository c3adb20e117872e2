"""Forms travel with the pathway: each deployed pathway version keeps the form versions it was
deployed with, and a case renders and validates the forms of its own pathway version.

Where a form comes from when a pathway is deployed, for each form its processes name (those of the
pathways it calls included):

1. the shipped file ``workflows/forms/<key>.json`` is imported as a new form version when its content
   was never seen before (re-deploying the shipped pathways creates nothing new);
2. the studio's draft of the form, if there is one, is published as a new form version (or as the
   latest one again when it says the same) and the draft is gone;
3. the pathway version links the latest version of the form.

A form version never changes. A pathway version deployed before forms were versioned has no links; its
cases read the shipped files as before.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select

from engine.audit.chain import Actor, record
from engine.bpmn.field_reads import form_keys_of
from engine.bpmn.parsing import ParsedPathway
from engine.errors import ExpressionError, NotFound, PathwayInvalid, Problem, ValidationFailed
from engine.pathways.forms import Form, FormCatalog, checked_form
from engine.store.models import Case, FormDraft, FormVersion, PathwayVersion, PathwayVersionForm
from engine.store.uow import UnitOfWork

FILE, STUDIO = "file", "studio"


def schema_text(schema: dict[str, Any]) -> str:
    """The stored text of a schema; the order of its fields is kept (it is the order on the page)."""
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SchemaForms(FormCatalog):
    """Given forms behind the file catalogue's interface (``get``, ``exists``, ``keys``, ``validate``)."""

    def __init__(self, files: FormCatalog, forms: dict[str, Form]) -> None:
        super().__init__(files.forms_dir)
        self._given = forms

    def exists(self, key: str) -> bool:
        return key in self._given

    def get(self, key: str) -> Form:
        form = self._given.get(key)
        if form is None:
            raise NotFound(f"form '{key}' does not exist")
        return form

    def keys(self) -> list[str]:
        return sorted(self._given)


# Form versions are content-addressed: the same key and sha256 is the same form in any database.
_PARSED: dict[tuple[str, str], Form] = {}


def _form(key: str, sha: str, text: str) -> Form:
    form = _PARSED.get((key, sha))
    if form is None:
        form = Form(key, json.loads(text))  # checked when it was stored
        _PARSED[(key, sha)] = form
    return form


def forms_of_version(uow: UnitOfWork, pathway_version_id: int, files: FormCatalog) -> FormCatalog:
    """The forms a pathway version was deployed with (the shipped files for a version from before)."""
    rows = uow.session.execute(
        select(PathwayVersionForm.form_key, FormVersion.sha256, FormVersion.id)
        .join(FormVersion, FormVersion.id == PathwayVersionForm.form_version_id)
        .where(PathwayVersionForm.pathway_version_id == pathway_version_id)
    ).all()
    if not rows:
        return files
    missing = [row.id for row in rows if (row.form_key, row.sha256) not in _PARSED]
    query = select(FormVersion.id, FormVersion.schema_json).where(FormVersion.id.in_(missing))
    texts = {int(form_id): str(text) for form_id, text in uow.session.execute(query)} if missing else {}
    forms = {
        row.form_key: _PARSED.get((row.form_key, row.sha256))
        or _form(row.form_key, row.sha256, texts[row.id])
        for row in rows
    }
    return SchemaForms(files, forms)


def forms_of_case(uow: UnitOfWork, case: Case, files: FormCatalog) -> FormCatalog:
    return forms_of_version(uow, case.pathway_version_id, files)


def latest_form_version(uow: UnitOfWork, key: str) -> FormVersion | None:
    return uow.session.scalar(
        select(FormVersion).where(FormVersion.key == key).order_by(FormVersion.version.desc()).limit(1)
    )


def find_form_draft(uow: UnitOfWork, key: str) -> FormDraft | None:
    return uow.session.scalar(select(FormDraft).where(FormDraft.key == key))


def _seen(uow: UnitOfWork, key: str, sha: str) -> bool:
    found = uow.session.scalar(
        select(FormVersion.id).where(FormVersion.key == key, FormVersion.sha256 == sha)
    )
    return found is not None


def store_version(
    uow: UnitOfWork, key: str, schema: dict[str, Any], actor: Actor, source: str
) -> FormVersion:
    """A new version of the form, or the latest one when it says the same (no duplicate)."""
    text = schema_text(schema)
    sha = sha_of(text)
    latest = latest_form_version(uow, key)
    if latest is not None and latest.sha256 == sha:
        return latest
    number = (
        uow.session.scalar(select(func.max(FormVersion.version)).where(FormVersion.key == key)) or 0
    ) + 1
    version = FormVersion(
        key=key,
        version=number,
        schema_json=text,
        sha256=sha,
        source=source,
        author_id=actor.user_id,
        created_at=uow.clock.now(),
    )
    uow.session.add(version)
    uow.session.flush()
    record(
        uow.session,
        uow.clock.now(),
        actor,
        "form.version",
        subject=f"{key} v{number}",
        detail={"sha256": sha, "source": source},
    )
    return version


def import_file(uow: UnitOfWork, key: str, files: FormCatalog, actor: Actor) -> None:
    """The shipped file becomes a form version when its content was never seen before."""
    if not files.exists(key):
        return
    schema = files.file_schema(key)
    if not _seen(uow, key, sha_of(schema_text(schema))):
        files.get(key)  # checks the schema and its rules
        store_version(uow, key, schema, actor, FILE)


def current_schema(uow: UnitOfWork, key: str, files: FormCatalog) -> dict[str, Any] | None:
    """What the next deploy would use: the draft, a never-seen file, the latest version, the file."""
    draft = find_form_draft(uow, key)
    if draft is not None:
        return dict(json.loads(draft.schema_json))
    on_file = files.file_schema(key) if files.exists(key) else None
    latest = latest_form_version(uow, key)
    if on_file is not None and (latest is None or not _seen(uow, key, sha_of(schema_text(on_file)))):
        return on_file
    return dict(json.loads(latest.schema_json)) if latest is not None else on_file


def known_keys(uow: UnitOfWork, files: FormCatalog) -> list[str]:
    stored = set(uow.session.scalars(select(FormVersion.key).distinct()))
    drafts = set(uow.session.scalars(select(FormDraft.key)))
    return sorted(stored | drafts | set(files.keys()))


class DeployableForms(FormCatalog):
    """The forms as the next deploy would snapshot them: what the studio checks and simulates with."""

    def __init__(self, uow: UnitOfWork, files: FormCatalog) -> None:
        super().__init__(files.forms_dir)
        self.files = files
        self.uow = uow
        self._keys = set(known_keys(uow, files))

    def exists(self, key: str) -> bool:
        return key in self._keys

    def get(self, key: str) -> Form:
        form = self._forms.get(key)
        if form is None:
            schema = current_schema(self.uow, key, self.files) if key in self._keys else None
            if schema is None:
                raise NotFound(f"form '{key}' does not exist")
            try:
                form = checked_form(key, schema)
            except (SchemaError, ExpressionError) as error:
                raise ValidationFailed(
                    f"the draft of form '{key}' has errors: fix it in the form builder",
                    {key: ["invalid draft"]},
                ) from error
            self._forms[key] = form
        return form

    def keys(self) -> list[str]:
        return sorted(self._keys)


def deployable(uow: UnitOfWork, files: FormCatalog) -> FormCatalog:
    return files if isinstance(files, DeployableForms | SchemaForms) else DeployableForms(uow, files)


def shipped(files: FormCatalog) -> FormCatalog:
    """The file catalogue under a studio view (a snapshot falls back to the files, never to a draft)."""
    return files.files if isinstance(files, DeployableForms) else files


def resolve(
    uow: UnitOfWork, parsed: ParsedPathway, files: FormCatalog, actor: Actor
) -> dict[str, FormVersion]:
    """The form versions a deploy of ``parsed`` snapshots, publishing drafts and new files first.

    PathwayInvalid names a form whose draft cannot be published (see :mod:`engine.pathways.form_drafts`).
    """
    from engine.pathways.form_drafts import draft_problems  # the drafts' rules read the deployed pathways

    files = shipped(files)
    chosen: dict[str, FormVersion] = {}
    for key in sorted(form_keys_of(parsed)):
        import_file(uow, key, files, actor)
        draft = find_form_draft(uow, key)
        if draft is not None:
            schema = json.loads(draft.schema_json)
            errors = [p for p in draft_problems(uow, key, schema, files, parsed) if p.severity == "error"]
            if errors:
                raise PathwayInvalid(
                    f"the draft of form '{key}' cannot be deployed",
                    [Problem(key, f"form '{key}', {p.field}: {p.english}", code=p.code) for p in errors],
                )
            version = store_version(uow, key, schema, actor, STUDIO)
            uow.session.delete(draft)
            chosen[key] = version
            continue
        latest = latest_form_version(uow, key)
        if latest is not None:
            chosen[key] = latest
    return chosen


def linked(uow: UnitOfWork, pathway_version_id: int) -> dict[str, int]:
    rows = uow.session.execute(
        select(PathwayVersionForm.form_key, PathwayVersionForm.form_version_id).where(
            PathwayVersionForm.pathway_version_id == pathway_version_id
        )
    )
    return {str(key): int(form_id) for key, form_id in rows}


def link(uow: UnitOfWork, pathway_version_id: int, chosen: dict[str, FormVersion]) -> None:
    for key, version in sorted(chosen.items()):
        uow.session.add(
            PathwayVersionForm(
                pathway_version_id=pathway_version_id, form_key=key, form_version_id=version.id
            )
        )
    uow.session.flush()


def forms_changed(
    uow: UnitOfWork, latest: PathwayVersion | None, parsed: ParsedPathway, files: FormCatalog
) -> bool:
    """Whether a deploy of ``parsed`` would snapshot other forms than ``latest`` has (a form draft,
    a changed file, a form added or dropped): a deploy of the same diagram is then not "nothing"."""
    if latest is None:
        return True
    before = linked(uow, latest.id)
    keys = form_keys_of(parsed)
    if set(before) != keys:
        return True
    files = shipped(files)
    for key in keys:
        schema = current_schema(uow, key, files)
        stored = uow.session.get(FormVersion, before[key])
        if schema is None or stored is None or sha_of(schema_text(schema)) != stored.sha256:
            return True
    return False
