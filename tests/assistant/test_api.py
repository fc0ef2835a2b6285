"""POST /api/v1/assistant/triage: anonymous 401, a viewer 403, a collector gets CONTRACT §11's answer."""

from __future__ import annotations

from tests.assistant.test_service import RAW


def test_triage_roles(served) -> None:  # noqa: ANN001
    """Anonymous → 401; viewer → 403; collector → 200 with every action awaiting approval."""
    url = "/api/v1/assistant/triage"
    headers = {"Content-Type": "text/plain"}
    assert served.client.post(url, content=RAW, headers=headers).status_code == 401
    assert served.client.post(url, content=RAW, headers={**headers, **served.h("vera")}).status_code == 403
    r = served.client.post(url, content=RAW, headers={**headers, **served.h(served.collector)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == "promise_to_pay" and all(a["needs_approval"] for a in body["actions"])


def test_draft_endpoints(served, ctx) -> None:  # noqa: ANN001
    """POST /assistant/drafts queues the reply awaiting approval (anonymous 401, viewer 403); PATCH edits it;
    after approval an edit is 409."""
    from sqlalchemy import select

    from arcollect.ledger.models import Customer, Invoice
    from tests.assistant.test_drafts import _mail

    mine = sorted(served.customers_of(served.collector))
    with ctx.sessions() as s:
        invoice = s.scalars(select(Invoice.invoice_id).join(Customer, Customer.id == Invoice.customer_pk)
                            .where(Customer.customer_id == mine[0]).order_by(Invoice.invoice_id)).first()
    raw = _mail(f"Hello, we will pay invoice {invoice} by Friday.", mid="api1", subject="Re: reminder")
    url = "/api/v1/assistant/drafts"
    headers = {"Content-Type": "text/plain"}
    assert served.client.post(url, content=raw, headers=headers).status_code == 401
    assert served.client.post(url, content=raw, headers={**headers, **served.h("vera")}).status_code == 403
    r = served.client.post(url, content=raw, headers={**headers, **served.h(served.collector)})
    assert r.status_code == 201, r.text
    d = r.json()
    assert d["status"] == "awaiting_approval" and d["kind"] == "confirm_promise" and d["customer_id"] == mine[0]
    p = served.client.patch(f"{url}/{d['id']}", json={"subject": "Your payment"}, headers=served.h(served.collector))
    assert p.status_code == 200 and p.json()["subject"] == "Your payment"
    assert served.client.post(f"/api/v1/outbox/{d['id']}/approve", headers=served.h("mona")).status_code == 200
    late = served.client.patch(f"{url}/{d['id']}", json={"text": "x"}, headers=served.h(served.collector))
    assert late.status_code == 409
