"""The month-end close over the API and the web on both databases: who may close and reopen, 409 for what a
closed month refuses, the snapshot equal to the API's aging, and the Periods page with its errors."""

from __future__ import annotations

import datetime as dt

from arcollect.cashapp import service as cash
from tests.cashapp.book import credit, statement
from tests.conftest import csrf_of


def test_api_closes_for_managers_reopens_for_admins_and_answers_409_when_refused(served):  # noqa: ANN001
    """A collector may not close (403), a manager closes (200), closing again is 409 problem+json; a manager
    may not reopen (403), an admin must give a reason (422) and then reopens; GET /periods shows the history;
    the snapshot equals GET /aging as of the month's last day."""
    c = served.client
    url = "/api/v1/periods/2026-10"
    assert c.post(url + "/close", headers=served.h(served.collector)).status_code == 403
    r = c.post(url + "/close", headers=served.h("mona"))
    assert r.status_code == 200, r.text
    assert r.json()["closed_by"] == "mona" and r.json()["as_of"] == "2026-10-31"
    again = c.post(url + "/close", headers=served.h("mona"))
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    assert "2026-10 is already closed" in again.text
    snap = c.get(url + "/snapshot", headers=served.h("admin"))
    assert snap.status_code == 200, snap.text
    aging = c.get("/api/v1/aging", params={"as_of": "2026-10-31", "by": "customer"}, headers=served.h("admin")).json()
    assert snap.json()["rows"] == aging["rows"] and snap.json()["totals"] == aging["totals"]
    assert c.get(url + "/snapshot", headers=served.h("mona")).status_code == 403  # a team's manager: a part only
    assert c.post(url + "/reopen", headers=served.h("mona"), json={"reason": "x"}).status_code == 403
    assert c.post(url + "/reopen", headers=served.h("admin"), json={}).status_code == 422
    r = c.post(url + "/reopen", headers=served.h("admin"), json={"reason": "late credit note"})
    assert r.status_code == 200 and r.json()["status"] == "reopened" and r.json()["reopened_by"] == "admin"
    listing = c.get("/api/v1/periods", headers=served.h("admin")).json()
    assert [(p["month"], p["status"], p["reopen_reason"]) for p in listing["periods"]] == [
        ("2026-10", "reopened", "late credit note")]
    assert c.get("/api/v1/periods", headers=served.h("vera")).status_code == 403
    assert c.post("/api/v1/periods/2026-13/close", headers=served.h("admin")).status_code == 422


def test_api_cash_apply_of_a_line_booked_in_a_closed_month_is_409(served):  # noqa: ANN001
    """A bank line booked on 2026-10-30 cannot be applied once October is closed; the message says why."""
    ctx = served.ctx
    cash.store_statements(ctx, statements=[statement(credit("10.00", "LATE", "?", day=dt.date(2026, 10, 30)))],
                          filename="s", sha256="c" * 64)
    line = next(x for x in cash.lines(ctx) if x["reference"] == "LATE")
    customer = sorted(served.customers_of(served.collector))[0]
    assert served.client.post("/api/v1/periods/2026-10/close", headers=served.h("admin")).status_code == 200
    r = served.client.post(f"/api/v1/cash/lines/{line['id']}/apply", headers=served.h("cash"),
                           json={"customer_id": customer})
    assert r.status_code == 409, r.text
    assert f"2026-10 is closed: the payment of bank line {line['id']} dated 2026-10-30" in r.json()["detail"]


def test_the_periods_page_closes_and_reopens_and_shows_what_was_refused(served):  # noqa: ANN001
    """A manager sees Close, not Reopen; closing shows the message; closing the same month again shows the
    refusal (409); an admin reopens with a reason; a collector is not allowed on the page."""
    manager = served.browser("mona")
    page = manager.get("/periods")
    assert page.status_code == 200 and "No month has been closed yet" in page.text and 'value="2026-10"' in page.text
    token = csrf_of(page)
    r = manager.post("/periods/close", data={"csrf_token": token, "month": "2026-10"})
    assert r.status_code == 200 and "2026-10 is closed: nothing dated on or before 2026-10-31" in r.text
    assert ">Reopen</button>" not in r.text
    refused = manager.post("/periods/close", data={"csrf_token": token, "month": "2026-10"})
    assert refused.status_code == 409 and "2026-10 is already closed" in refused.text
    out_of_order = manager.post("/periods/close", data={"csrf_token": token, "month": "2026-08"})
    assert out_of_order.status_code == 409 and "already closed (the books are closed through 2026-10)" in out_of_order.text
    admin = served.browser("admin")
    page = admin.get("/periods")
    assert ">Reopen</button>" in page.text and "closed through 2026-10-31" in page.text
    r = admin.post("/periods/reopen", data={"csrf_token": csrf_of(page), "month": "2026-10",
                                            "reason": "a late invoice from the ERP"})
    assert r.status_code == 200 and "2026-10 is open again" in r.text and "a late invoice from the ERP" in r.text
    assert served.browser(served.collector).get("/periods").status_code == 403


def test_the_web_import_of_a_back_dated_invoice_lists_the_closed_month_row_and_imports_nothing(served):  # noqa: ANN001
    """After October is closed, checking a file with an October invoice shows its line refused for the closed
    month (422, nothing imported); a November invoice in a file of its own is accepted for confirmation."""
    customer = sorted(served.customers_of(served.collector))[0]
    assert served.client.post("/api/v1/periods/2026-10/close", headers=served.h("admin")).status_code == 200
    browser = served.browser("cash")
    page = browser.get("/imports")
    header = b"invoice_id,customer_id,issue_date,due_date,amount\n"
    bad = browser.post("/imports", data={"kind": "invoices", "csrf_token": csrf_of(page)},
                       files={"file": ("late.csv", header + f"LATE-1,{customer},2026-10-14,2026-11-13,50.00\n".encode())})
    assert bad.status_code == 422
    assert ("late.csv:2: issue_date: 2026-10 is closed: invoice LATE-1 dated 2026-10-14 cannot be created or "
            "changed; post the correction in the open period") in bad.text.replace("&#39;", "'")
    good = browser.post("/imports", data={"kind": "invoices", "csrf_token": csrf_of(page)},
                        files={"file": ("nov.csv", header + f"NOV-1,{customer},2026-11-14,2026-12-14,50.00\n".encode())})
    assert good.status_code == 200 and "Confirm import" in good.text
