"""Account 360: header, contacts, open items (with their predicted payment), payments and applications, credits,
timeline, balance chart."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.assistant import service as assistant
from arcollect.auth.permissions import DISPUTE, EDIT_CUSTOMER, ESCALATE, READ, WORK
from arcollect.bounds import DayQuery
from arcollect.cashapp import service as cash
from arcollect.disputes import service as disputes
from arcollect.disputes import workflow as D
from arcollect.errors import InvalidInput
from arcollect.escalations import policy as E
from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger
from arcollect.promises import service as promises
from arcollect.risk import service as risk
from arcollect.charts import line_chart
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page, problems_text, redirect

router = APIRouter(include_in_schema=False)


@router.get("/customers/{customer_id}")
def account(request: Request, user: User, customer_id: str, as_of: DayQuery = None) -> Response:
    return _account_page(request, user, customer_id, as_of)


def _account_page(request: Request, user: User, customer_id: str, as_of: dt.date | None = None,
                  error: str | None = None, status_code: int = 200) -> Response:
    """The page; ``error``: a form on it was refused (shown above it, with the form's values kept)."""
    user.require(READ)
    ctx = get_ctx(request)
    day = as_of or ctx.clock.today()
    scope = user.scope
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=day, scope=scope)
    hierarchy = ledger.customer_hierarchy(ctx, scope=scope, customer_id=customer_id)
    payments, n_payments = ledger.list_documents(ctx, scope=scope, kind="payments", as_of=day,
                                                 customer_id=customer_id, limit=25)
    credits, n_credits = ledger.list_documents(ctx, scope=scope, kind="credit_notes", as_of=day,
                                               customer_id=customer_id, limit=25)
    applications, n_apps = ledger.list_applications(ctx, scope=scope, customer_id=customer_id, limit=25)
    timeline = promises.timeline(ctx, scope=scope, customer_id=customer_id, limit=40)
    promised = promises.list_promises(ctx, as_of=day, scope=scope, customer_id=customer_id)[:10]
    from arcollect.worklist import service as worklists

    today_item = worklists.worklist(ctx, as_of=ctx.clock.today(), scope=scope, ensure=False, customer_id=customer_id)["items"]
    dates = ledger.month_ends(day, 12)
    series = ledger.balance_history(ctx, scope=scope, customer_id=customer_id, dates=dates)
    chart = line_chart(dates, {k: [v for _, v in pts] for k, pts in series.items()},
                       "Open balance at each month-end") if series else ""
    return page(request, "account.html", status_code=status_code, nav="customers", view=view, c=view.customer, hierarchy=hierarchy,
                payments=payments, n_payments=n_payments, credits=credits, n_credits=n_credits,
                applications=applications, n_apps=n_apps, timeline=timeline, chart=chart,
                can_edit=user.can(EDIT_CUSTOMER), can_work=user.can(WORK), error=error, promises=promised,
                item=today_item[0] if today_item else None,
                day_built=worklists.day_built(ctx, as_of=ctx.clock.today(), collector=view.customer["collector"]),
                disputed=ledger.disputed_invoices(ctx, customer_id=customer_id, scope=scope),
                can_dispute=user.can(DISPUTE), dispute_reasons=disputes.reasons(ctx), dispute_teams=D.TEAMS,
                account_disputes=disputes.list_disputes(ctx, customer_id=customer_id,
                                                        scope=disputes.CaseScope(customers=scope)),
                can_escalate=user.can(ESCALATE), escalation_actions=E.ACTIONS,
                account_escalations=esc.list_escalations(ctx, customer_id=customer_id, scope=scope),
                bank_cash=cash.customer_cash(ctx, customer_id=customer_id, scope=scope),
                outlook=risk.account_outlook(ctx, customer_id=customer_id, as_of=day, scope=scope),
                proposals=assistant.list_proposals(ctx, scope=scope, customer_id=customer_id) if user.can(WORK) else [],
                reasons=disputes.reasons(ctx), teams=D.TEAMS)


@router.post("/customers/{customer_id}/contact-details", dependencies=[needs(EDIT_CUSTOMER), Csrf])
def update_details(request: Request, user: User, customer_id: str,
                   email: Annotated[str, Form(max_length=254)] = "", phone: Annotated[str, Form(max_length=64)] = "",
                   language: Annotated[str, Form(max_length=35)] = "",
                   timezone: Annotated[str, Form(max_length=64)] = "") -> Response:
    try:
        ledger.update_customer(acting(request, user), customer_id=customer_id, scope=user.scope,
                               changes={"email": email, "phone": phone, "language": language, "timezone": timezone})
    except InvalidInput as exc:
        return _account_page(request, user, customer_id, error=problems_text(exc), status_code=422)
    return redirect(request, f"/customers/{quote(customer_id, safe='')}", message="Contact details saved.")
