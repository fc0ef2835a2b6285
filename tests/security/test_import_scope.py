"""Imports keep the caller's scope and rights (issue #7 item 2): rows outside the caller's portfolio are
refused as unknown without revealing anything, moving customers between collectors needs
``portfolio:assign``, and a file that leaves optional columns out clears nothing."""

from __future__ import annotations

from decimal import Decimal

from arcollect.ledger import service as ledger


def _upload(served, login: str, kind: str, body: str) -> dict:  # noqa: ANN001
    r = served.client.post(f"/api/v1/imports/{kind}", files={"file": (f"{kind}.csv", body.encode(), "text/csv")},
                           headers=served.h(login))
    assert r.status_code == 200, r.text
    return r.json()


def _customer(served, cid: str) -> dict:  # noqa: ANN001
    return ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today()).customer


def _theirs(served) -> str:  # noqa: ANN001
    """A customer of the other collector (team south): outside manager mona's team north."""
    return sorted(served.customers_of(served.other))[0]


def test_manager_cannot_change_another_teams_customer_by_import(served):
    theirs = _theirs(served)
    before = _customer(served, theirs)
    report = _upload(served, "mona", "customers",
                     f"customer_id,name,collector\n{theirs},Renamed By North,{served.collector}\n")
    assert report["committed"] is False and report["updated"] == 0
    assert any(e.startswith(f"customers.csv:2: customer_id: '{theirs}' is already the id of a customer outside")
               for e in report["errors"]), report["errors"]
    after = _customer(served, theirs)
    assert after == before  # name, collector, terms, credit limit, country: all as they were


def test_manager_cannot_pay_another_teams_invoices_and_learns_nothing_of_them(served):
    today = served.ctx.clock.today()
    theirs, invoice = next((cid, items[0]) for cid in sorted(served.customers_of(served.other))
                           if (items := ledger.customer_overview(served.ctx, customer_id=cid, as_of=today).open_items))
    open_before = invoice["open_amount"]
    report = _upload(served, "mona", "payments",
                     f"payment_id,received_date,amount,applies_to\nX-PAY-1,2026-11-20,1.00,{invoice['invoice_id']}\n")
    assert report["committed"] is False
    assert report["errors"] == [f"payments.csv:2: applies_to: invoice {invoice['invoice_id']!r} does not exist"]
    assert str(open_before) not in " ".join(report["errors"])  # no open amount revealed
    again = next(i for i in ledger.customer_overview(served.ctx, customer_id=theirs,
                                                   as_of=served.ctx.clock.today()).open_items
                 if i["invoice_id"] == invoice["invoice_id"])
    assert again["open_amount"] == open_before
    # the same words as for an invoice that does not exist at all
    missing = _upload(served, "mona", "payments", "payment_id,received_date,amount,applies_to\nX-PAY-2,2026-11-20,1.00,NOPE-1\n")
    assert missing["errors"] == ["payments.csv:2: applies_to: invoice 'NOPE-1' does not exist"]


def test_manager_sees_out_of_scope_customers_as_unknown_in_other_imports(served):
    theirs = _theirs(served)
    report = _upload(served, "mona", "contacts", f"customer_id,email\n{theirs},spy@example.com\n")
    assert report["errors"] == [f"contacts.csv:2: customer_id: customer {theirs!r} does not exist (import customers first)"]
    report = _upload(served, "mona", "invoices",
                     f"invoice_id,customer_id,issue_date,due_date,amount\nX-INV-1,{theirs},2026-11-01,2026-12-01,5.00\n")
    assert report["errors"] == [f"invoices.csv:2: customer_id: customer {theirs!r} does not exist (import customers first)"]


def test_manager_works_their_own_team_and_new_customers_stay_in_it(served):
    mine = sorted(served.customers_of(served.collector))[0]
    report = _upload(served, "mona", "customers", f"customer_id,name\n{mine},North Renamed\nNEW-N1,New North Ltd\n")
    assert report["committed"] is True and report["updated"] == 1 and report["created"] == 1, report
    assert _customer(served, mine)["name"] == "North Renamed"
    seen = served.client.get("/api/v1/customers/NEW-N1", headers=served.h("mona"))
    assert seen.status_code == 200  # a team manager's new customer joins the team, so it stays visible


def test_cash_app_cannot_move_customers_between_collectors_by_import(served):
    mine = sorted(served.customers_of(served.collector))[0]
    assert served.client.post("/api/v1/portfolio/assign", json={"customer_ids": [mine], "collector": served.other},
                              headers=served.h("cash")).status_code == 403
    report = _upload(served, "cash", "customers", f"customer_id,name,collector\n{mine},Same,{served.other}\n")
    assert report["committed"] is False
    assert any(e.startswith("customers.csv:2: collector: only a manager or an admin") for e in report["errors"])
    assert _customer(served, mine)["collector"] == served.collector
    new = _upload(served, "cash", "customers", f"customer_id,name,collector\nNEW-C1,New,{served.other}\n")
    assert new["committed"] is False and new["created"] == 0
    # without the collector column cash_app may still maintain customer data
    ok = _upload(served, "cash", "customers", f"customer_id,name\n{mine},Cash Renamed\n")
    assert ok["committed"] is True and _customer(served, mine)["collector"] == served.collector


def test_customers_import_without_optional_columns_clears_nothing(served):
    mine = sorted(served.customers_of(served.collector))[0]
    before = _customer(served, mine)
    assert before["country"] and before["payment_terms_days"] is not None
    report = _upload(served, "admin", "customers", f"customer_id,name\n{mine},Only The Name\n")
    assert report["committed"] is True and report["updated"] == 1
    after = _customer(served, mine)
    assert after["name"] == "Only The Name"
    assert {k: v for k, v in after.items() if k != "name"} == {k: v for k, v in before.items() if k != "name"}


def test_invoice_and_payment_imports_without_optional_columns_clear_nothing(served):
    mine = sorted(served.customers_of(served.collector))[0]
    body = ("invoice_id,customer_id,issue_date,due_date,amount,po_number,description,project\n"
            f"K-1,{mine},2026-11-01,2026-12-01,50.00,PO-9,Consulting,Apollo\n")
    assert _upload(served, "admin", "invoices", body)["created"] == 1
    again = _upload(served, "admin", "invoices",
                    f"invoice_id,customer_id,issue_date,due_date,amount\nK-1,{mine},2026-11-01,2026-12-01,55.00\n")
    assert again["updated"] == 1
    page = served.client.get("/api/v1/invoices", params={"customer_id": mine, "limit": 500}, headers=served.h("admin")).json()
    k1 = next(i for i in page["items"] if i["invoice_id"] == "K-1")
    assert Decimal(k1["amount"]) == Decimal("55.00") and k1["po_number"] == "PO-9"
    first = _upload(served, "admin", "payments",
                    f"payment_id,customer_id,received_date,amount,reference,payer_name\nK-P1,{mine},2026-11-20,5.00,REF-7,Payer AG\n")
    assert first["created"] == 1
    assert _upload(served, "admin", "payments", "payment_id,received_date,amount\nK-P1,2026-11-20,5.00\n")["unchanged"] == 1


def test_manager_cannot_reassign_another_teams_customers(served):
    theirs = _theirs(served)
    r = served.client.post("/api/v1/portfolio/assign", json={"customer_ids": [theirs], "collector": served.collector},
                           headers=served.h("mona"))
    assert r.status_code == 404
    assert _customer(served, theirs)["collector"] == served.other
    mine = sorted(served.customers_of(served.collector))[0]
    r = served.client.post("/api/v1/portfolio/assign", json={"customer_ids": [mine], "collector": served.other},
                           headers=served.h("mona"))
    assert r.status_code == 403 and "not a collector of your team" in r.json()["detail"]
