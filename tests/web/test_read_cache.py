"""The read caches (issue #19): the dashboard's figures and the aging API's body are kept per data version,
so a repeat request reads almost nothing, and a ledger change shows on the very next request."""

from __future__ import annotations

import datetime as dt

from arcollect.ledger import service as ledger
from tests.conftest import write_csv
from tests.web.test_statement_counts import counting


def _new_invoice(served, tmp_path, customer_id: str, currency: str) -> None:  # noqa: ANN001
    issued = served.ctx.clock.today() - dt.timedelta(days=70)
    path = write_csv(tmp_path / "one.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                     f"CACHE-1,{customer_id},{issued},{issued + dt.timedelta(days=30)},4321.09,{currency}")
    assert not ledger.import_file(served.ctx, kind="invoices", path=path).errors


def test_the_dashboard_is_kept_until_the_ledger_changes(served, tmp_path):
    row = served.client.get("/api/v1/aging?by=customer", headers=served.h(served.collector)).json()["rows"][0]
    browser = served.browser(served.collector)
    first = browser.get("/")
    with counting(served.ctx.engine) as statements:
        again = browser.get("/")
    assert again.status_code == 200 and again.text == first.text
    assert len(statements) <= 6, statements  # principal, data version, dispute and escalation counts
    _new_invoice(served, tmp_path, row["key"], row["currency"])
    after = browser.get("/")
    assert after.status_code == 200 and after.text != first.text  # the new past-due amount


def test_the_aging_body_is_kept_per_caller_and_rebuilt_after_a_change(served, tmp_path):
    path = "/api/v1/aging?by=total"
    first = served.client.get(path, headers=served.h(served.collector))
    with counting(served.ctx.engine) as statements:
        again = served.client.get(path, headers=served.h(served.collector))
    assert again.content == first.content and len(statements) == 2  # the principal and the data version
    other = served.client.get(path, headers=served.h(served.other))
    assert other.json() != first.json()  # another portfolio: not the first caller's kept body
    row = served.client.get("/api/v1/aging?by=customer", headers=served.h(served.collector)).json()["rows"][0]
    _new_invoice(served, tmp_path, row["key"], row["currency"])
    after = served.client.get(path, headers=served.h(served.collector))
    assert after.json() != first.json()
