"""The Reports page: metrics per currency with their monthly trend, the roll-forward, the causes Pareto, the
cash forecast with its band (loaded beside the page: it predicts every open invoice) and the downloads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from arcollect.auth.permissions import READ
from arcollect.bounds import content_disposition
from arcollect.charts import band_chart, pareto_bars, sparkline
from arcollect.errors import Conflict
from arcollect.reports import service as reports
from arcollect.risk import service as risk
from arcollect.web.deps import User, get_ctx, page

router = APIRouter(include_in_schema=False)
SPARKS = ("dso", "countback_dso", "bpdso", "add", "cei", "pct_current", "avg_days_to_pay", "avg_days_late")


def last_quarter(today: dt.date) -> str:
    """The last quarter that has ended (the page's default period)."""
    q = (today.month - 1) // 3  # quarters of this year already ended
    return f"{today.year}-Q{q}" if q else f"{today.year - 1}-Q4"


@router.get("/reports")
def reports_page(request: Request, user: User, period: Annotated[str | None, Query(max_length=22)] = None,
                 by: Literal["total", "collector", "team", "segment"] = "total") -> Response:
    user.require(READ)
    ctx = get_ctx(request)
    chosen = period or last_quarter(ctx.clock.today())
    metrics = reports.metrics(ctx, period=chosen, by=by, scope=user.scope)
    roll = reports.rollforward(ctx, period=chosen, by=by, scope=user.scope)
    causes = reports.causes(ctx, period=chosen, scope=user.scope)
    sparks: dict[tuple[str, str], dict[str, str]] = {}
    for row in metrics["rows"]:
        series = {name: [next((r[name] for r in m["rows"] if (r["key"], r["currency"]) == (row["key"], row["currency"])),
                              None) for m in metrics["trend"]] for name in SPARKS}
        sparks[(row["key"], row["currency"])] = {name: sparkline(values, f"{name} by month") for name, values in series.items()}
    pareto = {}
    for cur in sorted({r["currency"] for r in causes["by_reason"]}):
        items = [(r["label"], Decimal(r["amount"])) for r in causes["by_reason"] if r["currency"] == cur]
        pareto[cur] = pareto_bars(items, cur, f"Disputed value by reason, {cur}")
    months = [m["period"] for m in metrics["trend"]]
    return page(request, "reports.html", nav="reports", metrics=metrics, roll=roll, causes=causes, sparks=sparks,
                pareto=pareto, months=months, period=chosen, by=by,
                future=dt.date.fromisoformat(metrics["end"]) > ctx.clock.today())


@router.get("/reports/forecast")
def forecast_panel(request: Request, user: User) -> Response:
    """htmx fragment: the 13-week cash forecast per currency, a chart with its low–high band and the weeks."""
    user.require(READ)
    ctx = get_ctx(request)
    today = ctx.clock.today()
    try:
        result = risk.forecast(ctx, as_of=today, scope=user.scope, train_if_missing=False)
    except Conflict:
        return page(request, "_forecast.html", result=None, model=None, charts={}, doubtful={})
    charts = {}
    for c in result["currencies"]:
        cur = c["currency"]
        weeks = [w for w in result["weeks"] if w["currency"] == cur]
        charts[cur] = band_chart([dt.date.fromisoformat(w["start"]) for w in weeks],
                                 [Decimal(w["expected"]) for w in weeks], [Decimal(w["low"]) for w in weeks],
                                 [Decimal(w["high"]) for w in weeks], cur,
                                 f"Expected inflows per week, {cur}, with the low–high band")
    doubtful = {c["currency"]: Decimal(c["doubtful"]) > 0 for c in result["currencies"]}
    return page(request, "_forecast.html", result=result, model=risk.latest_model(ctx), charts=charts,
                doubtful=doubtful)


@router.get("/reports/portfolio.{fmt}")
def portfolio_download(request: Request, user: User, fmt: Literal["pdf", "xlsx"]) -> Response:
    """The portfolio report of what the caller sees (a collector's own book), as of today."""
    user.require(READ)
    ctx = get_ctx(request)
    mine = user.login if user.role == "collector" else None
    data, media, name = reports.portfolio_file(ctx, as_of=ctx.clock.today(), fmt=fmt, collector=mine,
                                               scope=user.scope)
    return Response(data, media_type=media, headers={"Content-Disposition": content_disposition("attachment", name)})
