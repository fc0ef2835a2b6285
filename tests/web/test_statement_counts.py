"""SQL statements per page (issue #19): the account page, the dashboard and the aging API read with a fixed
number of statements whatever the size of the account or the portfolio — an N+1 (one query per invoice,
per customer, per row) makes the second count grow and fails here. The bounds are today's counts with a
little room; raise one only for a new section of the page, never for a loop. Counted with the read caches
empty (what a request pays when the data changed); test_read_cache checks what a cached request reads."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import event

from arcollect.ledger import service as ledger
from tests.conftest import write_csv

BOUNDS = {"account page": 60, "dashboard": 16, "aging API": 10}  # aging: principal, ETag, 8 reads


@contextmanager
def counting(engine) -> Iterator[list[str]]:  # noqa: ANN001
    statements: list[str] = []

    def count(conn, cursor, statement, *_) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _grow(served, tmp_path, customer_id: str, currency: str, n: int) -> None:  # noqa: ANN001
    """``n`` more invoices and payments (half of them applied) on the account, and ``n`` more customers
    with an invoice each in the collector's portfolio."""
    today = served.ctx.clock.today()
    inv, pay, cust, more = [], [], [], []
    for i in range(n):
        issued = today - dt.timedelta(days=20 + 7 * i)
        inv.append(f"GROW-{i},{customer_id},{issued},{issued + dt.timedelta(days=30)},{100 + i}.25,{currency}")
        applies = f"GROW-{i}:50.00" if i % 2 else ""
        pay.append(f"GP-{i},{customer_id},{today - dt.timedelta(days=i)},50.00,{currency},ref {i},Payer,{applies}")
        cust.append(f"NEWC-{i},New customer {i},{currency},30,{served.collector}")
        more.append(f"NEWI-{i},NEWC-{i},{issued},{issued + dt.timedelta(days=30)},10.00,{currency}")
    for kind, header, rows in [
        ("customers", "customer_id,name,currency,payment_terms_days,collector", cust),
        ("invoices", "invoice_id,customer_id,issue_date,due_date,amount,currency", inv + more),
        ("payments", "payment_id,customer_id,received_date,amount,currency,reference,payer_name,applies_to", pay),
    ]:
        result = ledger.import_file(served.ctx, kind=kind, path=write_csv(tmp_path / f"{kind}.csv", header, *rows))
        assert not result.errors, result.errors[:3]


def _count(served, client, path: str, headers: dict[str, str]) -> int:  # noqa: ANN001
    """Statements of one request that reads everything again: the principal is cached, results are not."""
    client.get(path, headers=headers)  # warm: the principal cache, the day's worklist
    for name in ("aging_bodies", "dashboards"):  # the read caches (readcache): a miss, the real reads
        served.ctx.caches.pop(name, None)
    with counting(served.ctx.engine) as statements:
        r = client.get(path, headers=headers)
    assert r.status_code == 200, r.text[:300]
    return len(statements)


@pytest.mark.parametrize("name", list(BOUNDS))
def test_a_page_reads_with_a_fixed_number_of_statements_whatever_the_data(served, tmp_path, name):
    row = served.client.get("/api/v1/aging?by=customer", headers=served.h(served.collector)).json()["rows"][0]
    browser = served.browser(served.collector)
    path, client, headers = {
        "account page": (f"/customers/{row['key']}", browser, {}),
        "dashboard": ("/", browser, {}),
        "aging API": ("/api/v1/aging?by=customer", served.client, served.h(served.collector)),
    }[name]
    before = _count(served, client, path, headers)
    _grow(served, tmp_path, row["key"], row["currency"], 12)
    after = _count(served, client, path, headers)
    assert after == before, f"{name}: {before} statements, {after} with 12 more invoices, payments and customers"
    assert before <= BOUNDS[name], f"{name}: {before} statements (bound {BOUNDS[name]})"
