"""Corrections of applied bank cash on the cash application page, on both databases: the Move form (another
customer, chosen invoices, a required reason; the old applications reversed, nothing erased; the history tells
it), the Write off residual form (reason codes in words, the amount prefilled with the residual; at once within
the auto limit, else sent for approval), their errors shown on the page with nothing changed (no reason, an
amount above the residual or not an amount, a closed month), and nobody without the cash permission writes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from decimal import Decimal

from sqlalchemy import func, select

from arcollect.cashapp import service as cash
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, WriteOff
from arcollect.periods import service as periods
from tests.conftest import csrf_of
from tests.web.cash_day import OUR_ACCOUNT, bank_day


def _open(served, cid: str) -> dict[str, Decimal]:  # noqa: ANN001
    view = ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today())
    return {i["invoice_id"]: i["open_amount"] for i in view.open_items}


def _count(served, model) -> int:  # noqa: ANN001
    with served.ctx.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def _text(response) -> str:  # noqa: ANN001
    return html.unescape(response.text)


def _applied_pick(served):  # noqa: ANN001, ANN202
    """The bank day with the PICK line applied (wrongly) to its customer's two oldest invoices."""
    day = bank_day(served)
    a, b = day.picked_items
    cash.apply(served.ctx, line_id=day.lines["PICK"], invoices=[(a["invoice_id"], None), (b["invoice_id"], None)])
    return day


def _elsewhere(served, day) -> tuple[str, dict]:  # noqa: ANN001
    """Another collector's customer with an open item in the PICK line's currency."""
    cur = day.picked_items[0]["currency"]
    for cid in sorted(served.customers_of(served.other)):
        view = ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today())
        items = [i for i in view.open_items if i["currency"] == cur and i["open_amount"] > 100]
        if items:
            return cid, items[0]
    raise AssertionError("the demo book has no such customer")


def test_moving_a_line_to_another_customers_invoice_reverses_it_and_tells_the_history(served):
    day = _applied_pick(served)
    pick, a, b = day.lines["PICK"], *day.picked_items
    other, item = _elsewhere(served, day)
    day = dataclasses.replace(day, proposed=other, proposed_item=item)
    web = served.browser("cash")
    page = web.get(f"/cash?line={pick}")
    assert 'id="move-panel"' in page.text and 'id="move-form"' not in page.text  # a customer is chosen first
    found = web.get(f"/cash?line={pick}&q={day.proposed}")
    assert f"move_to={day.proposed}" in found.text
    chosen = web.get(f"/cash?line={pick}&move_to={day.proposed}")
    form = re.search(r'<form method="post" action="/cash/lines/\d+/move" id="move-form".*?</form>', chosen.text, re.S).group(0)
    target = day.proposed_item["invoice_id"]
    assert f'name="customer_id" value="{day.proposed}"' in form and f'value="{target}"' in form
    assert 'name="reason" required' in form
    token = csrf_of(chosen)
    # no reason: refused in words, nothing moved
    refused = web.post(f"/cash/lines/{pick}/move", follow_redirects=True, data={
        "csrf_token": token, "customer_id": day.proposed, "invoices": [target], "rows": [target], "amounts": [""],
        "reason": "  "})
    assert "Say why the cash is moved" in _text(refused) and 'id="move-form"' in refused.text  # the form stays open
    assert cash.line(served.ctx, line_id=pick)["customer_id"] == day.picked
    # moved: the first part to the invoice, the rest on account
    part = Decimal("100.00")
    r = web.post(f"/cash/lines/{pick}/move", follow_redirects=True, data={
        "csrf_token": token, "customer_id": day.proposed, "invoices": [target], "rows": [target],
        "amounts": [str(part)], "reason": "paid for the sister company"})
    text = _text(r)
    assert f"Line {pick} moved from {day.picked} ({a['invoice_id']}, {b['invoice_id']}) to {day.proposed}" in text
    assert "nothing erased" in text
    line = cash.line(served.ctx, line_id=pick)
    assert line["customer_id"] == day.proposed and line["applications"] == [{"invoice_id": target, "amount": "100.00"}]
    assert _open(served, day.picked)[a["invoice_id"]] == a["open_amount"]  # open again
    assert _open(served, day.proposed)[target] == day.proposed_item["open_amount"] - part
    with served.ctx.sessions() as s:  # reversal rows: nothing erased
        assert s.scalar(select(func.count()).select_from(Application).where(Application.reverses_pk.is_not(None))) == 2
    history = re.search(r'id="line-history".*?</ol>', r.text, re.S).group(0)
    told = html.unescape(re.sub(r"<[^>]+>", " ", history))
    assert f"Applied to {day.picked} by " in told
    assert f"Moved by cash from {day.picked} to {day.proposed}" in told and "paid for the sister company" in told
    assert f"Reversed {a['invoice_id']} " in told and f"applied {target} " in told
    assert " UTC" in told or " CET" in told  # the time with its zone


def test_a_move_of_a_line_booked_in_a_closed_month_is_refused_on_the_page(served):
    ctx = served.ctx
    day = bank_day(served, match=False)
    cid = day.picked
    october = dt.date(2026, 10, 15)
    item = day.picked_items[0]
    late = ParsedLine(booking_date=october, amount=Decimal("50.00"), currency=item["currency"], reference="OCT",
                      value_date=october, payer_name="Someone", payer_account=None, remittance=("x",), location="t")
    cash.store_statements(ctx, statements=[ParsedStatement(format="camt.053.001.02", account=OUR_ACCOUNT,
                                                           currency=item["currency"], lines=(late,),
                                                           statement_id="OCT", opening=None, closing=None)],
                          filename="october.xml")
    line_id = next(r["id"] for r in cash.lines(ctx) if r["reference"] == "OCT")
    cash.apply(ctx, line_id=line_id, invoices=[], customer_id=cid)  # on account, in October
    periods.close_period(ctx, month="2026-10")
    web = served.browser("cash")
    page = web.get(f"/cash?line={line_id}&move_to={day.proposed}")
    r = web.post(f"/cash/lines/{line_id}/move", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "customer_id": day.proposed, "reason": "wrong customer"})
    assert "2026-10 is closed" in _text(r) and 'role="alert"' in r.text
    assert cash.line(ctx, line_id=line_id)["customer_id"] == cid


def _short_paid(served):  # noqa: ANN001, ANN202
    """The PART line applied to its invoice: it pays two thirds, a third of the invoice stays open (the residual)."""
    day = bank_day(served)
    item = day.proposed_item
    cash.apply(served.ctx, line_id=day.lines["PART"], invoices=[(item["invoice_id"], None)])
    return day, item["invoice_id"], item["open_amount"] - day.partial


def test_the_write_off_form_prefills_the_residual_and_refuses_more_than_it(served):
    day, invoice, residual = _short_paid(served)
    part = day.lines["PART"]
    web = served.browser("cash")
    page = web.get(f"/cash?line={part}")
    form = re.search(r'<form method="post" action="/cash/lines/\d+/writeoff" id="writeoff-form".*?</form>', page.text,
                     re.S).group(0)
    assert f'value="{residual}"' in form and f'<option value="{invoice}" data-open="{residual}">' in form
    assert "Bank fee deducted by the payer&#39;s or an intermediary bank" in form and "Early-payment discount" in form
    assert "sent for approval" in _text(page)  # no auto limit set: said before the click
    token = csrf_of(page)
    send = {"csrf_token": token, "invoice_id": invoice, "reason": "bank_fee", "note": ""}
    above = web.post(f"/cash/lines/{part}/writeoff", data={**send, "amount": str(residual + Decimal("0.01"))},
                     follow_redirects=True)
    assert f"invoice {invoice} has {residual} open, less than the write-off" in _text(above)
    nonsense = web.post(f"/cash/lines/{part}/writeoff", data={**send, "amount": "twelve"}, follow_redirects=True)
    assert "is not an amount" in _text(nonsense)
    no_reason = web.post(f"/cash/lines/{part}/writeoff", data={**send, "reason": "", "amount": str(residual)},
                         follow_redirects=True)
    assert "Choose why the residual is written off" in _text(no_reason)
    not_paid = next(i for i in _open(served, day.picked))
    other = web.post(f"/cash/lines/{part}/writeoff", data={**send, "invoice_id": not_paid, "amount": "1.00"},
                     follow_redirects=True)
    assert f"pays nothing of invoice {not_paid}" in _text(other)
    assert _count(served, WriteOff) == 0 and _open(served, day.proposed)[invoice] == residual


def test_a_residual_above_the_auto_limit_is_sent_for_approval_and_the_history_says_so(served):
    day, invoice, residual = _short_paid(served)
    part = day.lines["PART"]
    web = served.browser("cash")
    page = web.get(f"/cash?line={part}")
    r = web.post(f"/cash/lines/{part}/writeoff", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "invoice_id": invoice, "amount": str(residual), "reason": "deduction",
        "note": "agreed on the phone"})
    text = _text(r)
    message = re.search(r'<div class="alert success" role="status">(.*?)</div>', text, re.S).group(1)
    assert message.startswith("Write-off of ") and f"on {invoice} sent for approval to a manager" in message
    assert "nothing is written off until it is approved" in message
    assert _count(served, WriteOff) == 0 and _open(served, day.proposed)[invoice] == residual
    history = html.unescape(re.search(r'id="line-history".*?</ol>', r.text, re.S).group(0))
    assert "sent for approval by cash" in history and 'href="/escalations"' in history
    # a second request for the same account is refused in words while the first waits
    again = web.post(f"/cash/lines/{part}/writeoff", follow_redirects=True, data={
        "csrf_token": csrf_of(r), "invoice_id": invoice, "amount": str(residual), "reason": "deduction"})
    assert "already proposes a write-off" in _text(again)


def test_a_residual_within_the_auto_limit_is_written_off_at_once(served):
    day, invoice, residual = _short_paid(served)
    ctx = served.ctx
    served.app.state.ctx = dataclasses.replace(ctx, settings=ctx.settings.model_copy(
        update={"cash_writeoff_auto_limit": f"{residual + 100}"}))
    part = day.lines["PART"]
    web = served.browser("cash")
    page = web.get(f"/cash?line={part}")
    assert "is written off at once" in _text(page)
    r = web.post(f"/cash/lines/{part}/writeoff", follow_redirects=True, data={
        "csrf_token": csrf_of(page), "invoice_id": invoice, "amount": str(residual), "reason": "bank_fee"})
    text = _text(r)
    assert f"on {invoice} written off (bank fee deducted by the payer's or an intermediary bank)" in text
    assert invoice not in _open(served, day.proposed)
    with ctx.sessions() as s:
        assert s.scalar(select(WriteOff.amount)) == residual
    history = html.unescape(re.search(r'id="line-history".*?</ol>', r.text, re.S).group(0))
    assert f"Written off by cash: " in history and f"of {invoice}" in history
    assert 'id="writeoff-form"' not in r.text  # nothing left to write off


def test_a_collector_or_a_viewer_sees_no_correction_form_and_is_refused(served):
    day, invoice, residual = _short_paid(served)
    part = day.lines["PART"]
    for login in (served.other, "vera"):  # the line's collector, a viewer
        web = served.browser(login)
        page = web.get(f"/cash?line={part}")
        assert page.status_code == 200 and 'id="review-title"' in page.text
        assert 'id="writeoff-form"' not in page.text and 'id="move-panel"' not in page.text
        token = csrf_of(page)
        moved = web.post(f"/cash/lines/{part}/move", data={"csrf_token": token, "customer_id": day.picked,
                                                          "reason": "x"}, follow_redirects=False)
        off = web.post(f"/cash/lines/{part}/writeoff", data={"csrf_token": token, "invoice_id": invoice,
                                                            "amount": str(residual), "reason": "bank_fee"},
                       follow_redirects=False)
        assert moved.status_code == off.status_code == 403 and "Not allowed" in off.text
    assert cash.line(served.ctx, line_id=part)["customer_id"] == day.proposed and _count(served, WriteOff) == 0
    # an admin (a cash role too) may
    assert 'id="writeoff-form"' in served.browser("admin").get(f"/cash?line={part}").text
