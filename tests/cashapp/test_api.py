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
