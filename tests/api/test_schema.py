"""schemathesis against our OpenAPI document: for every operation, generated requests (as an admin,
who may call them all) never cause a 5xx, and every response matches its documented status code,
content type and schema. The number of examples per operation is bounded so `make test` stays quick."""

from __future__ import annotations

import os

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from arcollect.api import app as api

EXAMPLES = int(os.environ.get("ARCOLLECT_SCHEMATHESIS_EXAMPLES", "25"))
# Validation and schemas do not depend on the database: PostgreSQL gets a smaller sample of each operation
# (its own behaviour is covered by the service and API tests); `make fuzz` raises both.
EXAMPLES_PG = int(os.environ.get("ARCOLLECT_SCHEMATHESIS_EXAMPLES_PG", "8"))
SCHEMA_URL = f"{api.PREFIX}/openapi.json"


def _labels() -> list[str]:
    """Every operation of the API, read from the same routers the served app mounts."""
    app = FastAPI(openapi_url=SCHEMA_URL)
    api.include(app)
    return [result.ok().label for result in schemathesis.openapi.from_asgi(SCHEMA_URL, app).get_all_operations()]


LABELS = _labels()

# Rules that span several fields or the uploaded bytes, which OpenAPI cannot state: schema-valid requests
# may still be refused there with a 422 problem. Every other operation must accept all schema-valid input.
CROSS_FIELD_RULES = {
    "GET /api/v1/aging": "bucket bounds must strictly increase",
    "POST /api/v1/portfolio/assign": "name a collector or a team, and customers that exist",
    "POST /api/v1/imports/{kind}": "the upload must be a .csv/.xlsx file with the kind's columns",
    "POST /api/v1/customers/{customer_id}/snooze": "the date must be after today and within 90 days",
    "POST /api/v1/promises": "the date must be within a year from today; the amount within what the invoices owe",
    "POST /api/v1/activities": "a call needs an outcome; a follow-up date must be within a year from today",
    "POST /api/v1/playbooks": "the text must be a valid playbook YAML document",
    "POST /api/v1/playbooks/preview": "the text must be a valid playbook YAML document",
    "POST /api/v1/disputes": "invoices that exist, of one customer and currency, with an open amount; a configured reason",
    "PATCH /api/v1/disputes/{dispute_id}": "status changes follow the workflow; resolving needs a resolution",
    "POST /api/v1/disputes/{dispute_id}/items": "the due date between today and a year from now",
    "PUT /api/v1/templates/{language}/{name}": "the source must be a Jinja2 template that renders the message",
    "POST /api/v1/templates/{language}/{name}/preview": "the source must render; the customer must exist",
    "POST /api/v1/escalations": "dates within 1970–2199 and a year from today; each action's details (settlement "
                                "amount and date, an instalment schedule adding up); open invoices of the customer",
    "PUT /api/v1/escalation-policy": "the text must be a valid escalation policy YAML document",
    "POST /api/v1/cash/statements": "the upload must be a bank file of a known format (and the CSV mapping valid)",
    **{f"GET /api/v1/reports/{name}": "the period must exist: a month 01–12, a real date, the end not before the "
                                      "start, years 1900–2999" for name in ("metrics", "rollforward", "causes")},
    "POST /api/v1/cash/lines/{line_id}/apply": "invoices or a customer; invoices of one customer, in the line's "
                                               "currency, with the amounts open",
    "POST /api/v1/cash/lines/{line_id}/move": "a customer that exists; invoices of that customer, in the line's "
                                              "currency, each amount above zero and within what is open",
    "POST /api/v1/assistant/drafts": "the email must be linked to an account in the caller's portfolio and state "
                                     "what the draft answers (a promise, a dispute that exists, a copy asked for)",
    "PATCH /api/v1/assistant/drafts/{message_id}": "a subject or a text to change",
    "PUT /api/v1/assistant/auto-approval/{kind}": "turning auto-approval on needs a confidence threshold",
    "POST /api/v1/sops": "the upload must be a markdown file (.md, .markdown, .txt) of UTF-8 text up to 1 MB",
}


def test_the_schema_lists_the_whole_api() -> None:
    assert {"GET /api/v1/customers", "GET /api/v1/aging", "POST /api/v1/imports/{kind}",
            "GET /api/v1/users", "POST /api/v1/tokens"} <= set(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_operation_conforms_to_its_openapi(label: str, served) -> None:  # noqa: ANN001
    schema = schemathesis.openapi.from_asgi(SCHEMA_URL, served.app)
    schema.config.generation.update(allow_x00=False)  # the API refuses NUL characters (test_nul_is_refused)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = served.h("admin")
    excluded = [positive_data_acceptance] if label in CROSS_FIELD_RULES else []

    on_pg = served.ctx.settings.effective_database_url.startswith("postgresql")

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PG if on_pg else EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def conforms(case) -> None:  # noqa: ANN001
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    conforms()


# The edges of issue #7 item 7, sent to every operation that takes them: ids beyond a 64-bit key in the
# path, days outside 1970–2199 in the query, and amounts beyond what a money column holds in the body.
# Each must be refused with a documented 4xx (404/422), never a 5xx, and the answer must match its schema.
HUGE_ID = str(2**63)
EDGE_DAYS = ("0001-01-01", "9999-12-31")
HUGE_AMOUNTS = {
    "POST /api/v1/promises": lambda customer: {"customer_id": customer, "amount": "922337203685478.00",
                                               "date": "2026-11-30"},
    "POST /api/v1/disputes": lambda customer: {"invoices": [{"invoice_id": "X", "amount": "12345678901234567.00"}],
                                               "reason": "pricing"},
}


def _is_date(definition: dict) -> bool:
    schema = definition.get("schema", {})
    return any(s.get("format") == "date" for s in [schema, *schema.get("anyOf", [])])


def _edge_cases(operation, customer: str) -> list:  # noqa: ANN001
    paths = {p.name: (customer if p.name == "customer_id" else HUGE_ID) for p in operation.path_parameters}
    cases = []
    if any(v == HUGE_ID for v in paths.values()):
        cases.append(operation.Case(path_parameters={k: HUGE_ID for k in paths}, query={},
                                    **({"body": {}} if operation.body else {})))
    for p in operation.query:
        if _is_date(p.definition):
            cases += [operation.Case(path_parameters=paths, query={p.name: day}) for day in EDGE_DAYS]
    if operation.label in HUGE_AMOUNTS:
        cases.append(operation.Case(path_parameters=paths, body=HUGE_AMOUNTS[operation.label](customer),
                                    media_type="application/json"))
    return cases


def test_edges_are_refused_as_documented(served) -> None:  # noqa: ANN001
    schema = schemathesis.openapi.from_asgi(SCHEMA_URL, served.app)
    customer = sorted(served.customers_of(served.collector))[0]
    sent = []
    for label in LABELS:
        operation = schema.find_operation_by_label(label)
        for case in _edge_cases(operation, customer):
            response = case.call(headers=served.h("admin"))
            assert response.status_code in (404, 422), (label, case.path_parameters, case.query, response.text[:300])
            case.validate_response(response, excluded_checks=[positive_data_acceptance])
            sent.append(label)
    assert len(sent) >= 20 and {"POST /api/v1/promises", "GET /api/v1/aging"} <= set(sent)
