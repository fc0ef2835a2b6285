"""PDF documents of an account (statement of account, final notice, demand letter), rendered from the
ledger as of a day; statements of many customers rendered together (one document, split per customer)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from arcollect.context import Context
from arcollect.ledger import service as ledger
from arcollect.outreach.compose import account_message
from arcollect.outreach.sandbox import Limits
from arcollect.outreach.template_store import overrides


def _html(ctx: Context, customer_id: str, kind: str, day: dt.date, scope: Any, report: Any, edits: Any,
          **page: Any) -> str:
    from arcollect.outreach import letters

    # a statement lists every open item, disputed ones flagged, so that it ties to the aging summary on it;
    # a notice asks only for the undisputed money
    view, message = account_message(ctx, customer_id=customer_id, step=kind, template="reminder", as_of=day,
                                    whole=kind == "statement", scope=scope)
    aging = [letters.AgingLine(r.currency, tuple(r.buckets), r.total, r.disputed,
                               r.unapplied_cash + r.unapplied_credits, r.net_balance)
             for r in report.rows if r.key == customer_id]
    return letters.letter_html(message, overrides=edits, limits=Limits.of(ctx.settings), kind=kind, aging=aging,
                               bucket_names=report.bucket_names, company_address=ctx.settings.company_address,
                               paper=letters.paper_for(ctx.settings.letter_paper, view.customer.get("country")),
                               **page)


def letter(ctx: Context, *, customer_id: str, kind: str = "statement", as_of: dt.date | None = None,
           scope: Any = None) -> tuple[bytes, str]:
    """A statement of account, final notice or demand letter as PDF: (bytes, file name)."""
    from arcollect.outreach import letters

    day = as_of or ctx.clock.today()
    report = ledger.aging(ctx, as_of=day, customer_ids=[customer_id])
    with ctx.sessions() as session:
        edits = overrides(session)
    html = _html(ctx, customer_id, kind, day, scope or ledger.EVERYTHING, report, edits)
    return letters.html_pdf(html), f"{kind}-{customer_id}-{day.isoformat()}.pdf"


def statements(ctx: Context, *, customer_ids: Sequence[str], as_of: dt.date) -> list[tuple[bytes, str]]:
    """The statements of these customers, each as ``letter`` renders it alone: (bytes, file name) in order.
    They are laid out as one document (a page of its own for each customer; what a document costs beyond its
    pages paid once) and split per customer; a statement longer than one page is rendered alone, so that its
    page numbers count its own pages."""
    from arcollect.outreach import letters

    ids = list(customer_ids)
    report = ledger.aging(ctx, as_of=as_of, customer_ids=ids)
    with ctx.sessions() as session:
        edits = overrides(session)
    htmls = [_html(ctx, cid, "statement", as_of, ledger.EVERYTHING, report, edits, page_name=f"statement-{n}",
                   one_page=True) for n, cid in enumerate(ids)]
    pdfs = letters.letters_pdfs(htmls)
    return [(pdf if pdf is not None else letter(ctx, customer_id=cid, kind="statement", as_of=as_of)[0],
             f"statement-{cid}-{as_of.isoformat()}.pdf") for cid, pdf in zip(ids, pdfs)]
