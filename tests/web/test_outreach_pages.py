"""Outbox page (preview, approve, hold) and inbound triage (link to an account), with their rights."""

from __future__ import annotations

import datetime as dt
import re

from arcollect.outreach import mailbox, outbox
from arcollect.outreach.models import InboundMessage
from tests.conftest import csrf_of


def _queue(served) -> list[dict]:  # noqa: ANN001
    outbox.dunning_run(served.ctx, as_of=dt.date(2026, 11, 23), send=False)
    return outbox.list_outbox(served.ctx)


def test_the_outbox_previews_approves_and_holds(served):
    rows = _queue(served)
    assert len(rows) >= 3
    # a step that needs approval: the last message waits for it
    from sqlalchemy import update

    from arcollect.outreach.models import OutboxMessage

    with served.ctx.unit_of_work() as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == int(rows[0]["id"])).values(status="awaiting_approval"))
    rows = outbox.list_outbox(served.ctx)
    waiting = [m for m in rows if m["status"] == "awaiting_approval"]
    queued = [m for m in rows if m["status"] == "queued"]
    admin = served.browser("admin")
    page = admin.get(f"/outbox?m={queued[0]['id']}")
    assert page.status_code == 200 and 'id="message-text"' in page.text and queued[0]["subject"] in page.text
    token = csrf_of(page)
    r = admin.post(f"/outbox/{queued[0]['id']}/hold", data={"csrf_token": token, "note": "customer called"})
    assert "Held" in r.text and outbox.list_outbox(served.ctx, status="suppressed")[0]["note"].endswith("customer called")
    r = admin.post(f"/outbox/{waiting[0]['id']}/approve", data={"csrf_token": token})
    assert "Approved" in r.text
    assert next(m for m in outbox.list_outbox(served.ctx) if m["id"] == waiting[0]["id"])["status"] == "queued"
    assert "cannot go from queued" in admin.post(f"/outbox/{waiting[0]['id']}/approve", data={"csrf_token": token}).text
    collector = served.browser(served.collector)
    mine = collector.get("/outbox").text
    shown = set(re.findall(r'<td><a href="/customers/([^"]+)">', mine))
    assert shown <= served.customers_of(served.collector)
    other = next(m for m in rows if m["customer_id"] in served.customers_of(served.other))
    assert collector.get(f"/outbox?m={other['id']}").status_code == 404
    ctoken = csrf_of(collector.get("/outbox"))
    assert collector.post(f"/outbox/{queued[-1]['id']}/hold", data={"csrf_token": ctoken}).status_code == 403


def test_triage_links_unmatched_mail_to_an_account(served):
    now = dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc)
    with served.ctx.unit_of_work() as s:
        s.add(InboundMessage(message_id="<stray@gmail.com>", from_addr="stray@gmail.com", to_addrs=[], subject="who?",
                             kind="reply", body_text="Please call me about my bill", raw=b"x", status="triage",
                             references=[], fetched_at=now))
    admin = served.browser("admin")
    page = admin.get("/inbound/triage")
    assert "Please call me about my bill" in page.text
    mid = re.search(r'action="/inbound/(\d+)/link"', page.text).group(1)
    cid = sorted(served.customers_of(served.collector))[0]
    r = admin.post(f"/inbound/{mid}/link", data={"csrf_token": csrf_of(page), "customer_id": cid}, follow_redirects=True)
    assert r.status_code == 200 and "linked from triage" in r.text
    assert mailbox.triage(served.ctx) == []
    # a collector's triage shows the replies of their accounts with the assistant's proposals, not unmatched mail
    collector = served.browser(served.collector).get("/inbound/triage")
    assert collector.status_code == 200 and "Mail no account matched" not in collector.text
    assert served.browser("vera").get("/inbound/triage").status_code == 403


def test_the_account_page_links_its_pdf_letters(served):
    cid = sorted(served.customers_of(served.collector))[0]
    web = served.browser(served.collector)
    assert f'/customers/{cid}/letters/statement.pdf' in web.get(f"/customers/{cid}").text
    r = web.get(f"/customers/{cid}/letters/statement.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    other = sorted(served.customers_of(served.other))[0]
    assert web.get(f"/customers/{other}/letters/statement.pdf").status_code == 404
    assert web.get(f"/customers/{cid}/letters/poem.pdf").status_code in (400, 422)
