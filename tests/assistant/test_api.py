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


def test_proposals_are_listed_approved_edited_and_rejected_by_the_portfolio_owner_only(served) -> None:  # noqa: ANN001
    """A fetched reply's proposals: the collector of the account lists and approves them; another collector
    sees none and gets 404; a viewer 403; anonymous 401; a second approval 409; a bad edit 422, nothing done."""
    from arcollect.outreach import mailbox
    from arcollect.promises import service as promises
    from tests.assistant.replies import promising_reply
    from tests.assistant.test_agent import Box

    ctx = served.ctx
    cid, inv, amount, raw = promising_reply(ctx, served.collector)
    before = len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today()))
    mailbox.fetch_mail(ctx, mailbox_factory=lambda: Box(raw))
    url = "/api/v1/assistant/proposals"
    assert served.client.get(url).status_code == 401
    assert served.client.get(url, headers=served.h("vera")).status_code == 403
    assert served.client.get(url, headers=served.h(served.other)).json()["items"] == []
    r = served.client.get(url, params={"customer_id": cid}, headers=served.h(served.collector))
    assert r.status_code == 200, r.text
    [p] = [p for p in r.json()["items"] if p["kind"] == "record_promise"]
    assert p["payload"]["invoices"] == [inv] and p["payload"]["amount"] == amount and p["evidence"]
    assert served.client.post(f"{url}/{p['id']}/approve", headers=served.h(served.other)).status_code == 404
    bad = served.client.post(f"{url}/{p['id']}/edit", json={"changes": {"amount": "-5"}}, headers=served.h(served.collector))
    assert bad.status_code == 422 and "amount" in bad.text
    assert len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())) == before
    ok = served.client.post(f"{url}/{p['id']}/edit", json={"changes": {"date": "2026-11-30"}},
                            headers=served.h(served.collector))
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "edited" and ok.json()["result"]["date"] == "2026-11-30"
    assert served.client.post(f"{url}/{p['id']}/approve", headers=served.h(served.collector)).status_code == 409
    assert len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())) == before + 1
    rest = [q for q in served.client.get(url, headers=served.h(served.collector)).json()["items"]]
    for q in rest:
        r = served.client.post(f"{url}/{q['id']}/reject", json={"note": "not now"}, headers=served.h(served.collector))
        assert r.status_code == 200 and r.json()["status"] == "rejected"


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
