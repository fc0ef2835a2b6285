"""PDF documents of an account (statement of account, final notice, demand letter), rendered from the
ledger as of a day."""

from __future__ import annotations

import datetime as dt
from typing import Any

from arcollect.context import Context
from arcollect.ledger import service as ledger
from arcollect.outreach.compose import account_message
from arcollect.outreach.sandbox import Limits
from arcollect.outreach.template_store import overrides


def letter(ctx: Context, *, customer_id: str, kind: str = "statement", as_of: dt.date | None = None,
           scope: Any = None) -> tuple[bytes, str]:
    """A statement of account, final notice or demand letter as PDF: (bytes, file name)."""
    from arcollect.outreach import letters

    day = as_of or ctx.clock.today()
    # a statement lists every open item, disputed ones flagged, so that it ties to the aging summary on it;
    # a notice asks only for the undisputed money
    view, message = account_message(ctx, customer_id=customer_id, step=kind, template="reminder", as_of=day,
                                    whole=kind == "statement", scope=scope or ledger.EVERYTHING)
    report = ledger.aging(ctx, as_of=day, customer_ids=[customer_id])
    aging = [letters.AgingLine(r.currency, tuple(r.buckets), r.total, r.disputed,
                               r.unapplied_cash + r.unapplied_credits, r.net_balance) for r in report.rows]
    c = view.customer
    with ctx.sessions() as session:
        edits = overrides(session)
    pdf = letters.letter_pdf(message, overrides=edits, limits=Limits.of(ctx.settings), kind=kind, aging=aging, bucket_names=report.bucket_names,
                             company_address=ctx.settings.company_address,
                             paper=letters.paper_for(ctx.settings.letter_paper, c.get("country")))
    return pdf, f"{kind}-{customer_id}-{day.isoformat()}.pdf"
