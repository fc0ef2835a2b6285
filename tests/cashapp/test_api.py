"""/api/v1/cash on both databases: cash roles work the lines, collectors read their portfolio's only, the JSON is
CONTRACT §9's, writes are refused to the other roles."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from arcollect.cashapp import service as cash
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.cashapp.shapes import ParsedLine
from tests.cashapp.book import DAY, credit, statement
from tests.cashapp.test_cli import LINE_KEYS

API = "/api/v1/cash"


def _bank_day(served):  # noqa: ANN001, ANN202
    """A credit for one open invoice of the collector's customers and one of another collector's, and one for
    nobody; the demo's currencies as they are."""
    ctx, today = served.ctx, served.ctx.clock.today()
    picked = []
    for portfolio in (served.customers_of(served.collector), served.customers_of(served.other)):
        cid, item = next((cid, items[0]) for cid in sorted(portfolio)
                         if (items := ledger.customer_overview(ctx, customer_id=cid, as_of=today).open_items))
        picked.append((cid, item))
    lines = []
    for n, (cid, item) in enumerate(picked):
        with ctx.sessions() as s:
            name = s.scalar(select(Customer.name).where(Customer.customer_id == cid))
        lines.append(ParsedLine(booking_date=DAY, amount=item["open_amount"], currency=item["currency"],
                                reference=f"API{n}", payer_name=name, remittance=(item["invoice_id"],)))
    lines.append(credit("7.00", "NOBODY", "?"))
    cash.store_statements(ctx, statements=[statement(*lines, opening=None)], filename="api", sha256="f" * 64)
    return picked


def test_cash_roles_apply_and_collectors_read_their_portfolio(served):  # noqa: ANN001
    picked = _bank_day(served)
    rows = served.client.get(f"{API}/lines", headers=served.h("cash")).json()
    assert rows["total"] == len(picked) + 1 and all(set(r) == LINE_KEYS for r in rows["items"])
    (mine_cid, mine_item) = next(p for p in picked if p[0] in served.customers_of(served.collector))
    line = next(r for r in rows["items"] if r["remittance"] == mine_item["invoice_id"])
    r = served.client.post(f"{API}/lines/{line['id']}/apply", headers=served.h("cash"),
                           json={"invoices": [{"invoice_id": mine_item["invoice_id"]}]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "applied" and r.json()["customer_id"] == mine_cid
    again = served.client.post(f"{API}/lines/{line['id']}/apply", headers=served.h("cash"),
                               json={"invoices": [{"invoice_id": mine_item["invoice_id"]}]})
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    # the collector sees the line of their customer, not the other collector's nor the unidentified one
    theirs = served.client.get(f"{API}/lines", headers=served.h(served.collector)).json()
    assert [r["id"] for r in theirs["items"]] == [line["id"]]
    nobody = next(r for r in rows["items"] if r["reference"] == "NOBODY")
    assert served.client.get(f"{API}/lines/{nobody['id']}", headers=served.h(served.collector)).status_code == 404
    assert served.client.get(f"{API}/lines/{nobody['id']}", headers=served.h("cash")).status_code == 200
    # collectors may not apply, unapply, exclude, import or see statements
    assert served.client.post(f"{API}/lines/{nobody['id']}/exclude", headers=served.h(served.collector),
                              json={"reason": "x"}).status_code == 403
    assert served.client.get(f"{API}/statements", headers=served.h(served.collector)).status_code == 403
    assert served.client.post(f"{API}/lines/{line['id']}/unapply", headers=served.h("cash"), json={}).json()["status"] == "unmatched"
    ex = served.client.post(f"{API}/lines/{nobody['id']}/exclude", headers=served.h("mona"), json={"reason": "transfer"})
    assert ex.status_code == 200 and ex.json()["status"] == "excluded"
    filtered = served.client.get(f"{API}/lines", params={"status": "excluded"}, headers=served.h("cash")).json()
    assert [r["id"] for r in filtered["items"]] == [nobody["id"]]
    page = served.client.get(f"{API}/lines", params={"limit": 1, "offset": 1}, headers=served.h("cash")).json()
    assert len(page["items"]) == 1 and page["total"] == len(picked) + 1
    statements = served.client.get(f"{API}/statements", headers=served.h("cash")).json()
    assert statements["total"] == 1 and statements["items"][0]["balance_check"] == "n/a"
    assert (statements["items"][0]["opening"], statements["items"][0]["closing"]) == (None, None)  # not stated: null
    assert served.client.get(f"{API}/lines").status_code == 401


def test_match_with_nothing_to_match_and_a_bank_file_upload(served):  # noqa: ANN001
    r = served.client.post(f"{API}/match", headers=served.h("cash"), json={})
    assert r.status_code == 200 and r.json()["lines"] == 0
    assert served.client.post(f"{API}/match", headers=served.h("vera"), json={}).status_code == 403
    upload = served.client.post(f"{API}/statements", headers=served.h("cash"),
                                files={"file": ("x.sta", b"not a bank file", "application/octet-stream")})
    assert upload.status_code == 422 and upload.headers["content-type"].startswith("application/problem+json")
    mt940 = (":20:STMT1\n:25:DE89370400440532013000\n:28C:1/1\n:60F:C261120EUR0,00\n"
             ":61:2611201120C100,00NTRFNONREF//B1\n:86:INV-1 Acme\n:62F:C261120EUR100,00\n")
    upload = served.client.post(f"{API}/statements", headers=served.h("cash"),
                                files={"file": ("day.sta", mt940.encode(), "application/octet-stream")})
    assert upload.status_code in (200, 201), upload.text
    body = upload.json()
    assert body["created"] == 1 and body["statements"][0]["balance_check"] == "ok"
    assert body["statements"][0]["credits"] == "100.00"


def test_move_and_write_off_are_for_the_cash_roles_and_replay_by_idempotency_key(served):  # noqa: ANN001
    """POST lines/{id}/move and /writeoff: cash_app, managers and admins; collectors and viewers 403; a retried
    request with the same Idempotency-Key returns the first result instead of moving twice."""
    picked = _bank_day(served)
    (cid, item), (other_cid, other_item) = picked
    rows = served.client.get(f"{API}/lines", headers=served.h("cash")).json()["items"]
    line = next(r for r in rows if r["remittance"] == item["invoice_id"])
    assert served.client.post(f"{API}/lines/{line['id']}/apply", headers=served.h("cash"),
                              json={"customer_id": other_cid}).status_code == 200  # misapplied: on account elsewhere
    body = {"invoices": [{"invoice_id": item["invoice_id"]}], "reason": "the remittance names it"}
    for login in (served.collector, "vera", "stan"):
        assert served.client.post(f"{API}/lines/{line['id']}/move", headers=served.h(login), json=body).status_code == 403
    key = {**served.h("cash"), "Idempotency-Key": "move-1"}
    first = served.client.post(f"{API}/lines/{line['id']}/move", headers=key, json=body)
    assert first.status_code == 200, first.text
    assert first.json()["customer_id"] == cid and first.json()["applications"] == [
        {"invoice_id": item["invoice_id"], "amount": str(item["open_amount"])}]
    replay = served.client.post(f"{API}/lines/{line['id']}/move", headers=key, json=body)
    assert replay.json() == first.json() and replay.headers.get("idempotency-replayed") == "true"
    assert served.client.post(f"{API}/lines/{line['id']}/move", headers=served.h("mona"),
                              json={"reason": "nowhere"}).status_code == 422
    assert served.client.post(f"{API}/lines/{line['id']}/move", headers=served.h("cash"),
                              json={"customer_id": other_cid}).status_code == 422  # a reason is required
    # the collector sees the moved line now (their customer's), the other collector no longer
    assert served.client.get(f"{API}/lines/{line['id']}", headers=served.h(served.collector)).status_code == (
        200 if cid in served.customers_of(served.collector) else 404)
    # write-off: nothing is left on the invoice (the line paid it in full), so the request is refused
    wo = {"invoice_id": item["invoice_id"], "amount": "0.01", "reason": "bank_fee"}
    assert served.client.post(f"{API}/lines/{line['id']}/writeoff", headers=served.h(served.collector),
                              json=wo).status_code == 403
    refused = served.client.post(f"{API}/lines/{line['id']}/writeoff", headers=served.h("cash"), json=wo)
    assert refused.status_code == 409 and "open" in refused.json()["detail"]
    assert served.client.post(f"{API}/lines/{line['id']}/writeoff", headers=served.h("cash"),
                              json={**wo, "reason": "whim"}).status_code == 422


def test_a_short_paid_residual_is_requested_through_the_api(served):  # noqa: ANN001
    """A line that short-pays an invoice: the residual write-off is requested (no auto limit), 201 with the escalation."""
    ctx = served.ctx
    cid, item = _bank_day(served)[0]
    short = item["open_amount"] - 1
    cash.store_statements(ctx, statements=[statement(ParsedLine(
        booking_date=DAY, amount=short, currency=item["currency"], reference="SHORT", remittance=(item["invoice_id"],)),
        opening=None)], filename="short", sha256="e" * 64)
    line = next(r for r in served.client.get(f"{API}/lines", headers=served.h("cash")).json()["items"]
                if r["reference"] == "SHORT")
    assert served.client.post(f"{API}/lines/{line['id']}/apply", headers=served.h("cash"),
                              json={"invoices": [{"invoice_id": item["invoice_id"]}]}).status_code == 200
    r = served.client.post(f"{API}/lines/{line['id']}/writeoff", headers=served.h("cash"),
                           json={"invoice_id": item["invoice_id"], "amount": "1.00", "reason": "bank_fee"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "requested" and r.json()["escalation_id"] and r.json()["write_offs"] == []


def test_match_run_progress_and_a_second_run_refused(served):  # noqa: ANN001
    """GET match/runs/{id} shows a run's progress; POST match while one runs is 409 with the reason."""
    _bank_day(served)
    running = cash.start_match_run(served.ctx)
    busy = served.client.post(f"{API}/match", headers=served.h("cash"), json={})
    assert busy.status_code == 409 and "already in progress" in busy.json()["detail"]
    seen = served.client.get(f"{API}/match/runs/{running['id']}", headers=served.h("cash"))
    assert seen.status_code == 200 and seen.json()["status"] == "running"
    assert served.client.get(f"{API}/match/runs/{running['id']}", headers=served.h(served.collector)).status_code == 403
    cash.run_match(served.ctx, run_id=running["id"])
    done = served.client.get(f"{API}/match/runs/{running['id']}", headers=served.h("cash")).json()
    assert done["status"] == "done" and done["percent"] == 100 and done["result"]["lines"] == 3
    assert served.client.get(f"{API}/match/runs/999999", headers=served.h("cash")).status_code == 404
