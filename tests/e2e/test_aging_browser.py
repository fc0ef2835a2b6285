"""The aging page with its default filters in a real browser: its own links (sort, Apply, page 2) and both
exports work — no 422 from an empty ``bucket=`` — and the downloads are the named XLSX and CSV files."""

from __future__ import annotations

import csv
import re
from decimal import Decimal

from openpyxl import load_workbook

from arcollect.ledger import service as ledger
from tests.conftest import write_csv
from tests.e2e.test_browser import _sign_in


def _more_accounts(served, tmp_path, n: int = 80) -> None:  # noqa: ANN001
    """Enough extra accounts with an open invoice for the aging to have a second page (100 rows a page)."""
    write_csv(tmp_path / "c.csv", "customer_id,name,currency", *(f"Z{i:03d},Extra {i},USD" for i in range(n)))
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount",
              *(f"ZI{i:03d},Z{i:03d},2026-09-01,2026-10-01,{100 + i}.25" for i in range(n)))
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(served.ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _no_error(page) -> None:  # noqa: ANN001
    assert page.locator("#aging-table").is_visible(), page.content()[:500]
    assert "Input should be" not in page.content()


def test_the_aging_pages_links_and_exports_work_with_the_default_filters(page, live, tmp_path):  # noqa: ANN001
    served = live.served
    _more_accounts(served, tmp_path)
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today())
    page.goto("/login")
    _sign_in(page, "admin", served.PASSWORD)
    page.wait_for_url(live.base_url + "/")
    page.goto("/aging")
    _no_error(page)

    # sort by a column header, then back the other way
    page.locator("#aging-table thead").get_by_role("link", name=re.compile("^Total")).click()
    page.wait_for_url(re.compile(r"sort=total"))
    _no_error(page)
    keys = page.locator("#aging-table tbody tr td:first-child a").all_inner_texts()
    by_total = sorted(report.rows, key=lambda r: r.key)
    by_total.sort(key=lambda r: r.total, reverse=True)
    assert keys == [r.key for r in by_total][:100]

    # Apply with the filters as they are (the "Any" bucket is an empty value)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    _no_error(page)
    assert page.locator("#aging-table tbody tr").count() == 100

    # page 2 holds the rest
    page.get_by_role("link", name=re.compile("Next")).click()
    page.wait_for_url(re.compile(r"page=2"))
    _no_error(page)
    assert page.locator("#aging-table tbody tr").count() == len(report.rows) - 100

    # both exports download the named files with every row of the filtered aging
    with page.expect_download() as info:
        page.get_by_role("link", name="Export XLSX").click()
    download = info.value
    assert download.suggested_filename == f"aging-{report.as_of.isoformat()}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    assert path.read_bytes()[:2] == b"PK"  # a zip container, not an error page
    rows = list(load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "Customer" and len([r for r in rows[1:] if r[0] != "TOTAL"]) == len(report.rows)
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == f"aging-{report.as_of.isoformat()}.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    exported = list(csv.DictReader(path.open(encoding="utf-8")))
    assert [r["key"] for r in exported if r["key"] != "TOTAL"] == [r.key for r in by_total]
    totals = {r["currency"]: Decimal(r["total"]) for r in exported if r["key"] == "TOTAL"}
    assert totals == {t.currency: t.total for t in report.totals}
