"""A collections day in a real browser (Playwright driving Debian Chromium against a live server), on
SQLite and PostgreSQL: sign in, read the dashboard, filter the aging, export it, open an account, upload
a bad file, administer, sign out. Screenshots go to the tests' output folder (`make screenshots` makes the README's)."""

from __future__ import annotations

import re
from decimal import Decimal

from openpyxl import load_workbook

from arcollect.ledger import service as ledger
from tests.e2e.conftest import shoot


def _figure(text: str) -> Decimal:
    """'USD 1,234.50' or '1234.50' → Decimal('1234.50')."""
    return Decimal(re.sub(r"[^\d.\-]", "", text))


def _sign_in(page, login: str, password: str) -> None:  # noqa: ANN001
    page.fill("#login", login)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()


def test_a_managers_day_from_sign_in_to_sign_out(page, live, tmp_path):  # noqa: ANN001
    served = live.served
    today = served.ctx.clock.today()
    report = ledger.aging(served.ctx, as_of=today)

    page.goto("/")
    assert "/login" in page.url  # anonymous: sent to sign in
    page.wait_for_selector("#login:focus")  # the login field has the focus
    shoot(page, live, "login")
    _sign_in(page, "admin", "wrong password!")
    assert "wrong login or password" in page.get_by_role("alert").inner_text()
    _sign_in(page, "admin", served.PASSWORD)
    page.wait_for_url(live.base_url + "/")

    # dashboard: totals by currency tie to the ledger's aging; the bucket chart is drawn
    assert page.get_by_role("heading", name=re.compile("Portfolio dashboard")).is_visible()
    for total in report.totals:
        assert _figure(page.get_by_test_id(f"total-{total.currency}").first.inner_text()) == total.total
    assert page.locator("svg").count() >= len(report.totals)
    shoot(page, live, "dashboard")

    # aging: filter to USD, 90+ days, and the table shows exactly those accounts
    page.get_by_role("link", name="Aging", exact=True).click()
    page.select_option("#f-currency", "USD")
    page.select_option("#f-bucket", label=report.bucket_names[-1])
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r"bucket=4"))
    shown = page.locator("#aging-table tbody tr td:first-child a").all_inner_texts()
    wanted = [r for r in report.rows if r.currency == "USD" and r.buckets[-1] != 0]
    assert shown and set(shown) == {r.key for r in wanted}
    footer_total = _figure(page.get_by_test_id("total-USD").inner_text())
    assert footer_total == sum((r.total for r in wanted), Decimal(0))
    shoot(page, live, "aging")

    # export XLSX: the downloaded workbook holds the same accounts and the same total
    with page.expect_download() as info:
        page.get_by_role("link", name="Export XLSX").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert {r[0] for r in body if r[0] != "TOTAL"} == set(shown)
    total_row = next(r for r in body if r[0] == "TOTAL")
    assert Decimal(str(total_row[header.index("Total")])) == footer_total

    # account 360: the first account of the filtered list, its open balance ties to the ledger
    key = shown[0]
    page.get_by_role("link", name=key, exact=True).click()
    page.wait_for_url(re.compile(f"/customers/{key}$"))
    overview = ledger.customer_overview(served.ctx, customer_id=key, as_of=today)
    assert page.get_by_role("heading", level=1).inner_text().startswith(overview.customer["name"])
    assert _figure(page.get_by_test_id("open-USD").inner_text()) == overview.open_balance["USD"]
    assert page.locator("#open-items tbody tr").count() == len(overview.open_items)
    shoot(page, live, "account")

    # imports: a bad customers file is refused with its line errors, and nothing is written
    before = ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, limit=1)[1]
    page.get_by_text("Settings", exact=True).click()  # the settings fold under one menu entry
    page.get_by_role("link", name="Imports").click()
    page.select_option("#i-kind", "customers")
    page.set_input_files("#i-file", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                            "buffer": b"customer_id,name,currency\nN1,,USD\nN2,Two,US1\n"}])
    page.get_by_role("button", name="Check file").click()
    errors = page.locator("#import-errors")
    errors.wait_for()
    text = errors.inner_text()
    assert "bad.csv:2" in text and "name" in text and "bad.csv:3" in text and "currency" in text
    assert "nothing was imported" in text
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, limit=1)[1] == before
    shoot(page, live, "imports")

    page.get_by_text("Settings", exact=True).click()
    page.get_by_role("link", name="Users").click()
    assert page.get_by_role("cell", name=served.collector, exact=True).first.is_visible()
    shoot(page, live, "admin")

    # sign out: the session is gone
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile("/login"))
    page.goto("/aging")
    assert "/login" in page.url


def test_a_collector_works_by_keyboard_and_sees_only_their_portfolio(page, live):  # noqa: ANN001
    served = live.served
    page.goto("/login")
    page.keyboard.type(served.collector)  # the login field is focused on arrival
    page.keyboard.press("Tab")
    page.keyboard.type(served.PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(live.base_url + "/")
    page.goto("/aging")
    shown = set(page.locator("#aging-table tbody tr td:first-child a").all_inner_texts())
    mine = served.customers_of(served.collector)
    assert shown and shown <= mine
    page.keyboard.press("Tab")  # the skip link comes first and shows its focus
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Skip to content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    other = sorted(served.customers_of(served.other))[0]
    response = page.goto(f"/customers/{other}")
    assert response.status == 404
