"""Dashboard, aging (filters, sort, export) and the customer search."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from arcollect.auth.permissions import ANSWER, READ
from arcollect.bounds import DayQuery, content_disposition
from arcollect.disputes import service as disputes
from arcollect.errors import InvalidInput
from arcollect.escalations import service as escalations
from arcollect.ledger import aging as A
from arcollect.ledger import service as ledger
from arcollect.charts import bucket_bars, line_chart
from arcollect.readcache import remembered
from arcollect.web.deps import User, get_ctx, page

router = APIRouter(include_in_schema=False)
PAGE = 100


@router.get("/")
def dashboard(request: Request, user: User) -> Response:
    if not user.can(READ) and user.can(ANSWER):
        return RedirectResponse("/inbox", status_code=303)  # stakeholders work from their inbox
    user.require(READ)
    ctx = get_ctx(request)
    today = ctx.clock.today()
    dash, charts, trend = remembered(ctx, "dashboards", (today, user.scope), lambda: _dashboard(ctx, today, user.scope))
    figures = disputes.counts(ctx, scope=disputes.CaseScope(customers=user.scope))
    cases = {"open_disputes": figures["active"], "sla_breached": figures["sla_breached"],
             "pending_escalations": escalations.count(ctx, status="proposed", scope=user.scope)}
    return page(request, "dashboard.html", nav="dashboard", dash=dash, charts=charts, trend=trend, cases=cases)


def _dashboard(ctx, today, scope):  # noqa: ANN001, ANN202
    """The ledger part of the dashboard (aging, trend, charts): kept per data version and scope."""
    dash = ledger.dashboard(ctx, as_of=today, scope=scope)
    charts = {s.currency: bucket_bars(s.buckets, s.currency) for s in dash.currencies}
    trend = line_chart(dash.trend_dates, dash.trend, "Past-due amount at each month-end") if dash.trend else ""
    return dash, charts, trend


def _report(request: Request, user, as_of, collector, currency, segment):  # noqa: ANN001, ANN202
    ctx = get_ctx(request)
    return ledger.aging(ctx, as_of=as_of or ctx.clock.today(), by="customer", collector=collector or None,
                        currency=currency or None, segment=segment or None, scope=user.scope)


Text = Annotated[str | None, Query(max_length=64)]


Bucket = Annotated[int | None, Query(ge=0, le=20)]
Sort = Annotated[str, Query(max_length=20)]


def _narrowed(request: Request, user, as_of, collector, currency, segment, bucket, sort, dir):  # noqa: ANN001, ANN202, A002
    report = _report(request, user, as_of, collector, currency, segment)
    try:
        return A.narrow(report, bucket=bucket, sort=sort, descending=dir == "desc")
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


@router.get("/aging")
def aging(request: Request, user: User, as_of: DayQuery = None, collector: Text = None,
          currency: Text = None, segment: Text = None, bucket: Bucket = None, sort: Sort = "past_due",
          dir: Literal["asc", "desc"] = "desc",  # noqa: A002
          page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1) -> Response:
    user.require(READ)
    report = _narrowed(request, user, as_of, collector, currency, segment, bucket, sort, dir)
    rows = report.rows
    pages = max(1, -(-len(rows) // PAGE))
    page_no = min(page_no, pages)
    facets = ledger.customer_facets(get_ctx(request), scope=user.scope)
    filters = {"as_of": report.as_of.isoformat(), "collector": collector or "", "currency": currency or "",
               "segment": segment or "", "bucket": "" if bucket is None else str(bucket)}
    return page(request, "aging.html", nav="aging", report=report, rows=rows[(page_no - 1) * PAGE: page_no * PAGE],
                count=len(rows), page_no=page_no, pages=pages, sort=sort, dir=dir, filters=filters, facets=facets,
                qs=urlencode({k: v for k, v in filters.items() if v}))  # links carry only the filters in force


@router.get("/aging/export")
def aging_export(request: Request, user: User, format: Literal["csv", "xlsx"] = "xlsx",  # noqa: A002
                 as_of: DayQuery = None, collector: Text = None, currency: Text = None, segment: Text = None,
                 bucket: Bucket = None, sort: Sort = "past_due", dir: Literal["asc", "desc"] = "desc") -> Response:  # noqa: A002
    """The aging exactly as filtered and sorted on the page, all pages."""
    user.require(READ)
    report = _narrowed(request, user, as_of, collector, currency, segment, bucket, sort, dir)
    content, media = ledger.export_aging(report, fmt=format)
    name = f"aging-{report.as_of.isoformat()}.{format}"
    return Response(content, media_type=media, headers={"Content-Disposition": content_disposition("attachment", name)})


@router.get("/customers")
def customers(request: Request, user: User, q: Annotated[str | None, Query(max_length=100)] = None,
              page_no: Annotated[int, Query(alias="page", ge=1, le=100000)] = 1) -> Response:
    user.require(READ)
    items, total = ledger.list_customers(get_ctx(request), scope=user.scope, q=q or None, limit=PAGE,
                                         offset=(page_no - 1) * PAGE)
    return page(request, "customers.html", nav="customers", items=items, total=total, q=q or "", page_no=page_no,
                pages=max(1, -(-total // PAGE)))
