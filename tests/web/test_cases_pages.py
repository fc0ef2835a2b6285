"""Dispute and escalation pages: the board by status and team, a Billing stakeholder sees only Billing's
cases (board, detail, inbox, attachments) and lands on the inbox, a collector cannot approve above the
matrix while a manager can, the case history PDF."""

from __future__ import annotations

from arcollect.disputes import service as disputes
from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger
from tests.conftest import csrf_of


def _two_customers_with_items(served) -> tuple[str, str]:  # noqa: ANN001
    today = served.ctx.clock.today()
    mine = [cid for cid in sorted(served.customers_of(served.collector))
            if ledger.customer_overview(served.ctx, customer_id=cid, as_of=today).open_items]
    return mine[0], mine[1]


def _first_item(served, cid: str) -> str:  # noqa: ANN001
    return ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today()).open_items[0]["invoice_id"]


def test_a_stakeholder_sees_only_their_teams_cases(served):
    a, b = _two_customers_with_items(served)
    billing = disputes.open_dispute(served.ctx, invoices=[(_first_item(served, a), None)], reason="billing_error")
    sales = disputes.open_dispute(served.ctx, invoices=[(_first_item(served, b), None)], reason="pricing")
    item = disputes.add_action_item(served.ctx, dispute_id=billing["id"], title="Check the VAT rate")
    disputes.attach(served.ctx, dispute_id=sales["id"], filename="price-list.pdf", content_type="application/pdf",
                    data=b"%PDF-1.4 price list")
    stan = served.browser("stan")
    assert stan.get("/", follow_redirects=False).headers["location"] == "/inbox"
    board = stan.get("/disputes")
    assert board.status_code == 200 and f'href="/disputes/{billing["id"]}"' in board.text
    assert f'href="/disputes/{sales["id"]}"' not in board.text
    assert stan.get(f"/disputes/{sales['id']}").status_code == 404
    assert stan.get(f"/disputes/{sales['id']}/attachments/1").status_code == 404
    assert stan.get(f"/customers/{a}").status_code == 403  # no portfolio access
    inbox = stan.get("/inbox")
    assert "Check the VAT rate" in inbox.text
    token = csrf_of(inbox)
    # stakeholders comment and answer, they do not move the workflow
    moved = stan.post(f"/disputes/{billing['id']}", data={"csrf_token": token, "status": "in_review"},
                      follow_redirects=True)
    assert 'class="alert error"' in moved.text
    assert disputes.detail(served.ctx, dispute_id=billing["id"])["status"] == "open"
    answered = stan.post(f"/action-items/{item['id']}/answer", data={"csrf_token": token, "answer": "rate was 19%"},
                         follow_redirects=True)
    assert "Answer saved" in answered.text
    assert {a["id"]: a["status"] for a in disputes.detail(served.ctx, dispute_id=billing["id"])["action_items"]}[
        item["id"]] == "done"
    # the collector's board counts by status and team
    web = served.browser(served.collector)
    board = web.get("/disputes")
    assert 'id="dispute-matrix"' in board.text and f'/disputes?team=billing&amp;status=open">1<' in board.text
    assert web.get(f"/disputes/{sales['id']}/attachments/"
                   f"{disputes.detail(served.ctx, dispute_id=sales['id'])['events'][-1]['id']}").content.startswith(b"%PDF")


def test_the_queue_refuses_a_collector_above_the_matrix_and_a_manager_approves(served):
    a, _ = _two_customers_with_items(served)
    web = served.browser(served.collector)
    account = web.get(f"/customers/{a}")
    token = csrf_of(account)
    r = web.post(f"/customers/{a}/escalations", data={"csrf_token": token, "action": "agency", "note": "gone silent"},
                 follow_redirects=True)
    assert "needs manager or admin" in r.text
    [e] = esc.list_escalations(served.ctx, customer_id=a)
    refused = web.post(f"/escalations/{e['id']}/approve", data={"csrf_token": token}, follow_redirects=True)
    assert "escalation matrix needs a manager or admin" in refused.text
    assert esc.detail(served.ctx, escalation_id=e["id"])["status"] == "proposed"
    mona = served.browser("mona")
    queue = mona.get("/escalations")
    assert "gone silent" in queue.text and "Case history (PDF)" in queue.text
    done = mona.post(f"/escalations/{e['id']}/approve", data={"csrf_token": csrf_of(queue), "note": "agency A"},
                     follow_redirects=True)
    assert "completed" in done.text and "Agency package (zip)" in done.text
    assert mona.get(f"/escalations/{e['id']}/package.zip").headers["content-type"] == "application/zip"
    pdf = web.get(f"/customers/{a}/case-history.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert served.browser("vera").post(f"/escalations/{e['id']}/cancel",
                                       data={"csrf_token": csrf_of(served.browser("vera").get("/"))}).status_code == 403


def test_a_dispute_opened_for_billing_is_in_billings_inbox(served):
    """Bug #8.9: the collector opens a dispute routed to Billing; Billing's stakeholder sees its action item."""
    a, _ = _two_customers_with_items(served)
    invoice = _first_item(served, a)
    opened = disputes.open_dispute(served.ctx, invoices=[(invoice, None)], reason="duplicate", note="billed twice")
    assert opened["team"] == "billing"
    inbox = served.browser("stan").get("/inbox")
    assert inbox.status_code == 200
    assert "Duplicate billing" in inbox.text and invoice in inbox.text and "billed twice" in inbox.text
    assert f'/action-items/{disputes.detail(served.ctx, dispute_id=opened["id"])["action_items"][0]["id"]}/answer' \
        in inbox.text
