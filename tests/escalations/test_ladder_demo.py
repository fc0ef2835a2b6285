"""The escalation ladder over the demo book (bug #8.5): on the demo's first day no account has more than
one open escalation proposal; once each first rung is decided and its wait has passed, the next rung is
proposed — still one per account, and never a rung already decided."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from arcollect.escalations import policy as E
from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger
from arcollect.worklist import service as worklists

LADDER = [r.action for r in E.DEFAULT_LADDER]


def _open_per_account(ctx) -> Counter:  # noqa: ANN001
    return Counter((e["customer_id"], e["currency"]) for e in esc.list_escalations(ctx)
                   if e["status"] in E.OPEN and e["action"] in LADDER)


def test_the_demo_never_gets_two_rungs_at_once(ctx, clock):
    ledger.load_demo(ctx, customers=120, seed=42)
    worklists.run(ctx, as_of=clock.today())  # the daily run: the escalation policy first
    first = esc.list_escalations(ctx, status="proposed")
    assert first, "the demo has 90+ accounts the rules escalate"
    per_account = _open_per_account(ctx)
    assert max(per_account.values()) == 1, [k for k, n in per_account.items() if n > 1]
    # every first rung decided (rejected: the quickest decision), then the wait of the longest rung passes
    for e in first:
        esc.decide(ctx.acting_as("mia"), escalation_id=e["id"], approve=False, role="admin", note="not now")
    clock.advance(dt.timedelta(days=max(r.wait_days for r in E.DEFAULT_LADDER)))
    second = esc.run(ctx)["proposed"]
    assert second, "the next rungs follow once the first are decided and waited for"
    per_account = _open_per_account(ctx)
    assert max(per_account.values()) == 1
    decided = {(e["customer_id"], e["currency"], e["action"]) for e in first}
    for e in esc.list_escalations(ctx, status="proposed"):
        key = (e["customer_id"], e["currency"], e["action"])
        assert key not in decided  # a decided rung is not proposed again
        if e["action"] in LADDER:
            earlier = {a for c, cur, a in decided if (c, cur) == key[:2]}
            assert not earlier or max(LADDER.index(a) for a in earlier) < LADDER.index(e["action"])
