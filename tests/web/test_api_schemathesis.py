"""Schemathesis against the generated OpenAPI document, in-process: no generated request is a 500.

The document comes from an app built at import time (``fx.document_app``; schemathesis' lazy
``from_fixture`` does not run on pytest 9). Every generated request goes to the app on the database
the real CLI made (committed SQLite), with the token `casepath users token` printed for a social
worker of kc-demo who also coordinates pathways in another centre.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from tests.web import api_fixtures as fx

cli_database, cli_app = fx.cli_database, fx.cli_app

# Rules no OpenAPI 3.0 schema states answer schema-valid input with 422 (an order needs its number,
# a full centre, a diagram that is not BPMN) or 400 (NUL characters anywhere, refused app-wide);
# every other check runs as schemathesis ships it.
ACCEPTED = ["2xx", "400", "401", "403", "404", "409", "422"]
CONFIG = SchemathesisConfig.from_dict(
    {"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}}
)
schema = schemathesis.openapi.from_wsgi(f"{fx.API}/openapi.json", fx.document_app(), config=CONFIG)


@schema.parametrize()
@settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_no_generated_request_breaks_the_api(case, cli_database, cli_app):
    case.call_and_validate(app=cli_app, headers=fx.bearer(cli_database.token))
