"""The optional language model, against a real HTTP server speaking the chat-completions protocol: a valid
answer improves the triage; invalid JSON, an answer that does not fit the schema or quotes words the reply
does not contain, and a timeout all keep the offline result and say why; personal data is masked before
anything is sent; without settings nothing is sent at all."""

from __future__ import annotations

import dataclasses
import json

import pytest

from arcollect.assistant import providers, service as assistant
from tests.assistant.llm_server import ChatServer
from tests.conftest import write_csv

RAW = (b"From: Ann Payer <ann.payer@acme.example>\r\nTo: ar@us.example\r\nSubject: Re: reminder\r\n"
       b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <p1@acme.example>\r\n\r\n"
       b"Hello, INV-1001 goes in the batch that Klaus Meier signs off on the 4th of December.\r\n"
       b"Our IBAN is DE89 3704 0044 0532 0130 00, call me on +49 89 4521 7733 or write to klaus@acme.example.\r\n")


@pytest.fixture
def account(cli, tmp_path):  # noqa: ANN001, ANN201
    for kind, header, rows in (("customers", "customer_id,name,currency", ["C1,Acme,EUR"]),
                               ("contacts", "customer_id,email,name", ["C1,klaus@acme.example,Klaus Meier"]),
                               ("invoices", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                                ["INV-1001,C1,2026-10-01,2026-10-31,120.50,EUR"])):
        result = cli("import", kind, str(write_csv(tmp_path / f"{kind}.csv", header, *rows)))
        assert result.exit_code == 0, result.output
    return "C1"


GOOD = {"intent": "promise_to_pay", "confidence": 0.91, "invoices": ["INV-1001"], "promise_date": "2026-12-04",
        "promise_amount": None, "dispute_reason": None, "evidence": ["goes in the batch", "on the 4th of December"]}


def _client(server: ChatServer, timeout: float = 5.0) -> providers.OpenAICompatible:
    return providers.OpenAICompatible(base_url=server.url, model="test-model", api_key="k-test", timeout=timeout)


def test_valid_answer_replaces_the_offline_reading(ctx, account) -> None:  # noqa: ANN001
    """The model's promise (date, invoices) becomes the triage's; the request is a schema'd chat completion."""
    with ChatServer() as server:
        server.answer(GOOD)
        r = assistant.triage(ctx, raw=RAW, provider=_client(server))
    assert r["llm"]["used"] is True and r["llm"]["fallback"] is None
    assert r["intent"] == "promise_to_pay" and r["promise"] == {"date": "2026-12-04", "amount": "120.50"}
    assert r["actions"][0]["kind"] == "record_promise" and r["actions"][0]["needs_approval"] is True
    sent = server.requests[0]
    assert sent["model"] == "test-model" and sent["response_format"]["type"] == "json_schema"
    assert server.headers[0]["Authorization"] == "Bearer k-test"


def test_personal_data_is_masked_before_it_is_sent(ctx, account) -> None:  # noqa: ANN001
    """Addresses, the IBAN, the phone number and the contact's and sender's names never reach the server;
    the invoice number and the date do."""
    with ChatServer() as server:
        server.answer(GOOD)
        r = assistant.triage(ctx, raw=RAW, provider=_client(server))
    sent = json.dumps(server.requests[0], ensure_ascii=False)
    for secret in ("ann.payer@acme.example", "klaus@acme.example", "DE89 3704", "4521 7733", "Klaus", "Meier"):
        assert secret not in sent
    assert "INV-1001" in sent and "4th of December" in sent and "[IBAN_1]" in sent
    assert r["llm"]["masked"] == {"email": 1, "iban": 1, "phone": 1, "name": 1}


@pytest.mark.parametrize("content, why", [
    ("this is not JSON", "not valid"),
    (json.dumps({**GOOD, "intent": "maybe"}), "not valid: intent"),
    (json.dumps({**GOOD, "evidence": ["we will pay tomorrow"]}), "does not contain"),
    (json.dumps({**GOOD, "promise_date": "2031-01-01"}), "not within a year"),
])
def test_an_answer_that_cannot_be_trusted_keeps_the_offline_result(ctx, account, content, why) -> None:  # noqa: ANN001
    offline = assistant.triage(ctx, raw=RAW)
    with ChatServer() as server:
        server.answer(content)
        r = assistant.triage(ctx, raw=RAW, provider=_client(server))
    assert r["llm"]["used"] is False and why in r["llm"]["fallback"]
    assert {k: r[k] for k in ("intent", "promise", "actions")} == {k: offline[k] for k in ("intent", "promise", "actions")}


def test_a_timeout_keeps_the_offline_result(ctx, account) -> None:  # noqa: ANN001
    with ChatServer() as server:
        server.answer(GOOD)
        server.delay = 2.0
        r = assistant.triage(ctx, raw=RAW, provider=_client(server, timeout=0.3))
    assert r["llm"]["used"] is False and "no answer within 0.3 s" in r["llm"]["fallback"]


def test_an_http_error_keeps_the_offline_result(ctx, account) -> None:  # noqa: ANN001
    with ChatServer() as server:
        server.status = 503
        r = assistant.triage(ctx, raw=RAW, provider=_client(server))
    assert r["llm"]["used"] is False and "HTTP 503" in r["llm"]["fallback"]


def test_settings_turn_the_model_on_and_nothing_is_sent_without_them(ctx, account) -> None:  # noqa: ANN001
    with ChatServer() as server:
        server.answer(GOOD)
        off = assistant.triage(ctx, raw=RAW)
        assert off["llm"] == {"provider": "offline", "used": False, "fallback": None} and not server.requests
        on = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"llm_base_url": server.url,
                                                                                "llm_model": "test-model"}))
        r = assistant.triage(on, raw=RAW)
    assert r["llm"]["used"] is True and r["llm"]["provider"] == f"test-model at {server.url.split('/')[2]}"
    assert len(server.requests) == 1 and "Authorization" not in server.headers[0]
