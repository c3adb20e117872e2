"""A form rendered as case workers see it, for the form builder's preview.

The same renderer as the task page (:mod:`web.forms_render` and the ``form_field`` macro), fed with a
draft's JSON Schema; the fragment is shown inside the builder's page, never as a page of its own.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _

from engine.errors import ValidationFailed
from engine.pathways.form_drafts import READING_KINDS, FormProblem
from engine.pathways.forms import Form, localised
from web.forms_render import form_fields
from web.i18n import locale
from web.task import choice_lists


def preview_html(key: str, schema: dict[str, Any]) -> str:
    form = Form(key, schema)
    lang = locale()
    try:
        fields = form_fields(form, {}, None, lang, choice_lists(form))
    except (AttributeError, TypeError, ValueError, KeyError) as error:  # a schema the renderer cannot draw
        raise ValidationFailed(
            "the preview cannot show this draft", {"schema": [_("The preview cannot show this draft.")]}
        ) from error
    return render_template(
        "_form_preview.html",
        title=localised(schema, "title", lang) or key,
        help=localised(schema, "description", lang),
        fields=fields,
    )


def problem_json(problem: FormProblem) -> dict[str, str]:
    """A form draft's problem in the reader's language."""
    values = dict(problem.values)
    if "kind" in values and values["kind"] in READING_KINDS:
        values["kind"] = _(READING_KINDS[values["kind"]])
    return {
        "field": problem.field,
        "severity": problem.severity,
        "code": problem.code,
        "message": _(problem.template, **values) if values else _(problem.template),
    }
