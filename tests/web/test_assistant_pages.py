"""The assistant's proposals on the pages: a fetched reply shows in its collector's triage queue with the
intent, the facts and the evidence highlighted, and on the account page; one click approves (the promise is
recorded), edits or rejects; another collector sees none of it."""

from __future__ import annotations

import re

from arcollect.outreach import mailbox
from arcollect.promises import service as promises
from tests.assistant.replies import promising_reply
from tests.assistant.test_agent import Box
from tests.conftest import csrf_of


def test_a_reply_is_decided_from_the_triage_queue_and_the_account_page(served) -> None:  # noqa: ANN001
    ctx = served.ctx
    cid, inv, amount, raw = promising_reply(ctx, served.collector)
    mailbox.fetch_mail(ctx, mailbox_factory=lambda: Box(raw))
    web = served.browser(served.collector)
    page = web.get("/inbound/triage")
    assert page.status_code == 200
    assert "Promise to pay" in page.text and f"<mark>{inv}</mark>" in page.text and "<mark>Friday</mark>" in page.text
    assert "Record the promise to pay" in page.text and "Approve" in page.text and "<kbd>a</kbd> approve" in page.text
    ids = re.findall(r'data-proposal="(\d+)"', page.text)
    assert ids
    other = served.browser(served.other).get("/inbound/triage")
    assert "Record the promise to pay" not in other.text
    account = web.get(f"/customers/{cid}")
    assert 'id="assistant"' in account.text and "Record the promise to pay" in account.text
    before = len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today()))
    promise_id = re.search(r'id="proposal-(\d+)"[^>]*>\s*<p class="proposal-what"><strong>Record the promise', account.text).group(1)
    r = web.post(f"/assistant/proposals/{promise_id}/edit", data={"csrf_token": csrf_of(account), "back": "account",
                                                                  "customer_id": cid, "date": "2026-11-01",
                                                                  "amount": amount, "invoices": inv})
    assert r.status_code == 200 and "Not done" in r.text and "must be between today" in r.text  # refused: nothing done
    assert len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())) == before
    r = web.post(f"/assistant/proposals/{promise_id}/approve", data={"csrf_token": csrf_of(account), "back": "account",
                                                                     "customer_id": cid})
    assert r.status_code == 200 and "Record the promise to pay: approved and done" in r.text
    assert len(promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())) == before + 1
    assert f'id="proposal-{promise_id}"' not in r.text
    for pid in [i for i in ids if i != promise_id]:
        r = web.post(f"/assistant/proposals/{pid}/reject", data={"csrf_token": csrf_of(account)})
        assert "rejected" in r.text
    assert "No replies waiting for a decision" in web.get("/inbound/triage").text
