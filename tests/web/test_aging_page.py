"""The aging page and its exports: a Disputed column (page, CSV, XLSX), every amount on the page in the
project's money format for its currency, readable XLSX headers with the collector, links without empty
filters."""

from __future__ import annotations

import csv
import html
import io
import re
from decimal import Decimal
from urllib.parse import quote

from arcollect.ledger import service as ledger
from arcollect.money import format_money, money_str


def _dispute_part_of_an_invoice(served) -> tuple[str, Decimal, str]:  # noqa: ANN001
    """(customer, disputed amount, currency): half of one open invoice of a customer put in dispute."""
    h = served.h("admin")
    for c in served.client.get("/api/v1/customers?limit=200", headers=h).json()["items"]:
        items = served.client.get(f"/api/v1/invoices?customer_id={quote(c['customer_id'])}&status=open",
                                  headers=h).json()["items"]
        if items:
            invoice = items[0]
            part = (Decimal(invoice["open_amount"]) / 2).quantize(Decimal("0.01"))
            r = served.client.post("/api/v1/disputes", headers=h, json={
                "invoices": [{"invoice_id": invoice["invoice_id"], "amount": str(part)}], "reason": "pricing"})
            assert r.status_code == 201, r.text
            return c["customer_id"], part, invoice["currency"]
    raise AssertionError("the demo has no open invoice")


def _row_of(page: str, customer: str) -> str:
    return re.search(rf'<tr><td><a href="/customers/{customer}">.*?</tr>', page, re.S).group(0)


def test_the_aging_page_has_a_disputed_column_and_formats_every_amount_for_its_currency(served):
    customer, part, currency = _dispute_part_of_an_invoice(served)
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today())
    page = served.browser("admin").get("/aging").text
    assert re.search(r"<th[^>]*>(<a [^>]*>)?Disputed", page)
    row = _row_of(page, customer)
    assert f'data-testid="disputed-{customer}">{html.escape(format_money(part, currency))}<' in html.unescape(row) \
        or f">{format_money(part, currency)}<" in html.unescape(row)
    mine = next(r for r in report.rows if r.key == customer)
    cells = re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', row)
    assert cells and all(re.search(r"\d", c) for c in cells)
    assert html.unescape(cells[len(report.bucket_names)]) == format_money(mine.total, currency)  # the Total column
    for total in report.totals:
        assert f'data-testid="total-{total.currency}">{format_money(total.total, total.currency)}<' in html.unescape(page)
        assert (f'data-testid="disputed-total-{total.currency}">{format_money(total.disputed, total.currency)}<'
                in html.unescape(page))


def test_the_aging_pages_own_links_carry_no_empty_filters(served):
    page = served.browser("admin").get("/aging").text
    links = [html.unescape(h) for h in re.findall(r'href="(\?[^"]*|/aging/export\?[^"]*)"', page)]
    assert links and not [h for h in links if re.search(r"(^|[?&])[a-z_]+=(&|$)", h)], links


def test_the_csv_export_has_the_disputed_and_collector_columns(served):
    customer, part, currency = _dispute_part_of_an_invoice(served)
    r = served.browser("admin").get("/aging/export?format=csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    mine = next(row for row in rows if row["key"] == customer)
    assert mine["disputed"] == money_str(part, currency)
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today())
    assert mine["collector"] == (next(x for x in report.rows if x.key == customer).collector or "")
    totals = {row["currency"]: row for row in rows if row["key"] == "TOTAL"}
    for t in report.totals:
        assert totals[t.currency]["disputed"] == money_str(t.disputed, t.currency)


def test_the_xlsx_export_has_readable_headers_the_collector_and_the_disputed_amounts(served):
    from openpyxl import load_workbook

    customer, part, _ = _dispute_part_of_an_invoice(served)
    r = served.browser("admin").get("/aging/export?format=xlsx")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == ["Customer", "Name", "Currency", "Current", "1–30", "31–60", "61–90", "90+", "Total",
                             "Unapplied cash", "Unapplied credits", "Net balance", "Disputed", "Collector"]
    mine = next(row for row in rows if row[0] == customer)
    assert round(Decimal(str(mine[12])), 2) == part
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today())
    assert mine[13] == next(x for x in report.rows if x.key == customer).collector
