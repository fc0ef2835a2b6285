"""What a collector sees all day (issue #8, Workspace): the account pane (contact card, one next best action
in plain words, open items as a table, a call outcome to choose, the next account after a call and the day's
counter), the stakeholder inbox (answers with files, "Billing answered" on the collector's day), the outbox
(names, bulk approve/hold) and the team page (every collector, reassignment by picking accounts)."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from arcollect.audit import history
from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger
from arcollect.outreach import outbox
from arcollect.outreach.models import OutboxMessage
from arcollect.worklist.pane import plain_reason
from tests.conftest import csrf_of


def _ids(html: str) -> list[str]:
    return re.findall(r'<li id="row-[^"]+" class="wl-row[^"]*" data-customer="([^"]+)"', html)


def _panel(served, web, cid: str) -> str:  # noqa: ANN001
    r = web.get(f"/worklist?c={cid}")
    assert r.status_code == 200
    return r.text


def test_the_pane_opens_with_a_contact_card_phone_link_and_the_customers_local_time(served):
    web = served.browser(served.collector)
    cid = _ids(web.get("/worklist").text)[0]
    html = _panel(served, web, cid)
    view = ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today())
    card = html[html.index('id="contact-card"'):html.index('<div class="kpis">')]
    person = next((k for k in view.contacts if k["primary"]), view.contacts[0])
    if person["name"]:
        assert person["name"] in card
    if person["phone"]:
        assert f'href="tel:{re.sub(r"[^0-9+]", "", person["phone"])}"' in card
    assert f'href="mailto:{person["email"]}"' in card
    assert (view.customer["timezone"] or "UTC") in card and 'id="local-time"' in card
    assert re.search(r"(Inside|Outside) their contact window \(\d\d:\d\d–\d\d:\d\d\)", card)


def test_the_next_best_action_is_one_and_in_plain_words(served):
    web = served.browser(served.collector)
    for cid in _ids(web.get("/worklist").text)[:6]:
        html = _panel(served, web, cid)
        assert html.count('id="next-action"') == 1
        reason = re.search(r'<p id="next-action-reason">([^<]+)</p>', html).group(1)
        assert reason.endswith(".") and "_" not in reason
        why = html[html.index('id="next-action"'):html.index("<h3>Open items</h3>")]
        shown = html[html.index('id="next-action"'):html.index('<details class="why">')] if "<details" in html else why
        assert not re.search(r"\b[a-z]+_\d+\b", shown), shown  # no internal step ids (call_31, email_7 …)
        assert "folded into" not in html and " waits: " not in html
    assert plain_reason("call_10 folded into call_31") is None
    assert plain_reason("last contact 4 days ago") == "Last contacted 4 days ago."
    assert plain_reason("callback due 2026-11-23 (today)") == "You agreed to call back today."


def test_open_items_are_a_table_with_due_date_days_overdue_open_and_disputed(served):
    web = served.browser(served.collector)
    cid = _ids(web.get("/worklist").text)[0]
    today = served.ctx.clock.today()
    items = ledger.customer_overview(served.ctx, customer_id=cid, as_of=today).open_items
    first = items[0]
    part = (first["open_amount"] / 2).quantize(first["open_amount"])
    disputes.open_dispute(served.ctx, invoices=[(first["invoice_id"], str(part))], reason="pricing")
    html = _panel(served, web, cid)
    table = html[html.index('id="open-items"'):html.index("</table>", html.index('id="open-items"'))]
    assert re.findall(r"<th[^>]*>([^<]+)</th>", table) == ["Invoice", "Due", "Days overdue", "Open", "Disputed"]
    row = re.search(rf"<tr><td>{re.escape(first['invoice_id'])}</td>(.*?)</tr>", table, re.S).group(1)
    assert first["due_date"].isoformat() in row
    from arcollect.money import format_money

    assert format_money(first["open_amount"], first["currency"]) in row
    assert format_money(part, first["currency"]) in row  # the disputed part, formatted for the currency


def test_the_call_outcome_has_no_default_and_must_be_chosen(served):
    web = served.browser(served.collector)
    cid = _ids(web.get("/worklist").text)[0]
    html = _panel(served, web, cid)
    select_html = re.search(r'<select id="call-outcome" name="outcome" required>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert options[0] == (' value="" disabled selected', "Choose an outcome")
    assert all("selected" not in attrs for attrs, _ in options[1:])
    r = web.post(f"/worklist/{cid}/call", headers={"HX-Request": "true"},
                 data={"csrf_token": csrf_of(web.get("/worklist")), "outcome": ""})
    assert 'class="alert error"' in r.text and "outcome" in r.text


def test_logging_a_call_opens_the_next_account_and_moves_the_days_counter(served):
    web = served.browser(served.collector)
    page = web.get("/worklist")
    ids = _ids(page.text)
    before = re.search(r'id="progress"[^>]*>(\d+) of (\d+) done<', page.text)
    assert before, "the day's counter is on the worklist"
    done, total = int(before.group(1)), int(before.group(2))
    assert total >= len(ids) and done == 0
    r = web.post(f"/worklist/{ids[0]}/call", headers={"HX-Request": "true"},
                 data={"csrf_token": csrf_of(page), "outcome": "no_answer"})
    assert r.status_code == 200
    assert re.search(r'<h2 id="panel-title" tabindex="-1" data-customer="([^"]+)"', r.text).group(1) == ids[1]
    assert f'id="row-{ids[0]}"' in r.text  # the worked row, out of band
    assert re.search(rf'<span id="progress"[^>]*hx-swap-oob="true">{done + 1} of {total} done</span>', r.text)
    assert r.headers["HX-Replace-Url"] == f"/worklist?c={ids[1]}"
    assert "Call logged: no answer. Next:" in r.text


def _billing_item(served) -> tuple[str, dict, dict]:  # noqa: ANN001
    cid = sorted(served.customers_of(served.collector))[0]
    today = served.ctx.clock.today()
    invoice = ledger.customer_overview(served.ctx, customer_id=cid, as_of=today).open_items[0]
    d = disputes.open_dispute(served.ctx, invoices=[(invoice["invoice_id"], None)], reason="billing_error",
                              note="VAT charged at 21% instead of 19%")
    item = disputes.add_action_item(served.ctx, dispute_id=d["id"], title="Check the VAT rate")
    return cid, invoice, item


def test_the_inbox_shows_customer_invoices_amounts_claim_and_due_date(served):
    cid, invoice, item = _billing_item(served)
    html = served.browser("stan").get("/inbox").text
    entry = html[html.index(f'id="item-{item["id"]}"'):]
    entry = entry[:entry.index("</li>")]
    name = ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today()).customer["name"]
    from arcollect.money import format_money

    assert name in entry and cid in entry and invoice["invoice_id"] in entry
    assert format_money(invoice["open_amount"], invoice["currency"]) in entry
    assert "VAT charged at 21% instead of 19%" in entry and f"due {item['due_on']}" in entry
    assert '<textarea id="answer-' in entry and 'type="file" name="files" multiple' in entry
    assert 'enctype="multipart/form-data"' in entry


def test_a_stakeholder_answers_in_lines_with_files_and_the_collector_sees_billing_answered(served):
    cid, _, item = _billing_item(served)
    stan = served.browser("stan")
    token = csrf_of(stan.get("/inbox"))
    r = stan.post(f"/action-items/{item['id']}/answer", follow_redirects=True,
                  data={"csrf_token": token, "answer": "Rate was 19%.\nCredit note CN-7 issued."},
                  files=[("files", ("cn-7.pdf", b"%PDF-1.4 credit note", "application/pdf")),
                         ("files", ("mail.txt", b"ok", "text/plain"))])
    assert r.status_code == 200 and "Answer saved" in r.text and "2 file(s) kept" in r.text
    detail = disputes.detail(served.ctx, dispute_id=item["dispute_id"])
    assert {e["file"] for e in detail["events"] if e["kind"] == "attachment"} == {"cn-7.pdf", "mail.txt"}
    assert {a["id"]: a["answer"] for a in detail["action_items"]}[item["id"]] == "Rate was 19%.\nCredit note CN-7 issued."
    day = served.browser(served.collector).get("/worklist").text
    answers = day[day.index('id="answers"'):day.index("</section>", day.index('id="answers"'))]
    assert "Billing answered" in answers and "Check the VAT rate" in answers and "Credit note CN-7 issued." in answers
    assert "Billing answered" not in served.browser(served.other).get("/worklist").text  # not their customer


def _awaiting(served) -> list[dict]:  # noqa: ANN001
    outbox.dunning_run(served.ctx, as_of=dt.date(2026, 11, 23), send=False)
    rows = outbox.list_outbox(served.ctx)
    with served.ctx.unit_of_work() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.id.in_([int(m["id"]) for m in rows[:3]]))
                  .values(status="awaiting_approval"))
    return outbox.list_outbox(served.ctx)


def test_the_outbox_names_customers_and_approves_or_holds_the_picked_messages(served):
    rows = _awaiting(served)
    admin = served.browser("admin")
    page = admin.get("/outbox")
    name = ledger.customer_overview(served.ctx, customer_id=rows[0]["customer_id"],
                                    as_of=served.ctx.clock.today()).customer["name"]
    assert f'">{name}</a> <span class="muted">{rows[0]["customer_id"]}</span>' in page.text
    assert 'action="/outbox/bulk"' in page.text and 'name="m" value="' in page.text
    waiting = [m["id"] for m in rows if m["status"] == "awaiting_approval"]
    queued = [m["id"] for m in rows if m["status"] == "queued"]
    r = admin.post("/outbox/bulk", data={"csrf_token": csrf_of(page), "action": "approve", "m": waiting[:2]})
    assert "2 message(s) approved" in r.text
    status = {m["id"]: m["status"] for m in outbox.list_outbox(served.ctx)}
    assert [status[i] for i in waiting[:2]] == ["queued", "queued"]
    with served.ctx.sessions() as s:
        assert [e.action for e in history(s, "outbox", waiting[0])] == ["approve"]  # audited one by one
    r = admin.post("/outbox/bulk", data={"csrf_token": csrf_of(page), "action": "hold", "note": "customer called",
                                         "m": [waiting[2], queued[0], waiting[0]]})
    assert "3 message(s) held" in r.text
    r = admin.post("/outbox/bulk", data={"csrf_token": csrf_of(page), "action": "approve", "m": [waiting[2]]})
    assert 'class="alert error"' in r.text and "cannot go from suppressed" in r.text
    collector = served.browser(served.collector)
    ctoken = csrf_of(collector.get("/outbox"))
    assert collector.post("/outbox/bulk", data={"csrf_token": ctoken, "action": "hold", "m": queued[1:2]}).status_code == 403


def test_outbox_and_worklist_empty_states_point_into_the_app_not_the_cli(served):
    admin = served.browser("admin")
    for path in ("/outbox", "/outbox?status=failed", "/worklist/team", "/inbox"):
        html = admin.get(path).text
        assert "<code>arcollect" not in html and "arcollect dunning" not in html and "arcollect worklist" not in html
    assert 'href="/worklist"' in admin.get("/outbox").text


def test_the_team_page_lists_collectors_without_a_login_and_moves_picked_accounts(served):
    from arcollect.ledger.models import Customer

    with served.ctx.unit_of_work() as s:  # a collector named by the ERP who never signed in
        pk = s.scalar(select(Customer.id).where(Customer.collector == served.collector).order_by(Customer.id))
        s.execute(update(Customer).where(Customer.id == pk).values(collector="zoe"))
    admin = served.browser("admin")
    page = admin.get("/worklist/team")
    row = re.search(r'<tr data-collector="zoe">(.*?)</tr>', page.text, re.S)
    assert row and "no login" in row.group(1)
    for login in served.collectors:
        assert f'<tr data-collector="{login}">' in page.text
    picking = admin.get(f"/worklist/team?from={served.collector}")
    picked = re.findall(r'name="account" value="([^"]+)"', picking.text)[:2]
    assert set(picked) <= served.customers_of(served.collector)
    assert '<input id="r-customers"' not in picking.text  # no typing ids
    r = admin.post("/worklist/team/reassign", data={"csrf_token": csrf_of(picking), "account": picked,
                                                    "collector": served.other, "source": served.collector})
    assert "2 account(s) moved" in r.text and set(picked) <= served.customers_of(served.other)


def test_a_manager_cannot_reassign_to_another_teams_collector(served):
    mona = served.browser("mona")  # manager of north; served.other is a collector of south
    page = mona.get(f"/worklist/team?from={served.collector}")
    assert page.status_code == 200
    targets = re.search(r'<select id="r-collector" name="collector" required>(.*?)</select>', page.text, re.S).group(1)
    assert served.other not in targets
    cid = sorted(served.customers_of(served.collector))[0]
    r = mona.post("/worklist/team/reassign", data={"csrf_token": csrf_of(page), "account": [cid],
                                                   "collector": served.other, "source": served.collector})
    assert 'class="alert error"' in r.text and "not a collector of your team" in r.text
    assert cid in served.customers_of(served.collector)
