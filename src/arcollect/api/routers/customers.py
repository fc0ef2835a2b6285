"""/api/v1/customers: list, detail, hierarchy, contacts, contact-detail updates."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.etags import Tagged
from arcollect.api.problems import responses
from arcollect.api.schemas import (
    ContactRead, CustomerDetail, CustomerRead, CustomerUpdate, HierarchyRead, Page, money,
)
from arcollect.auth.permissions import EDIT_CUSTOMER, READ
from arcollect.bounds import DayQuery
from arcollect.ledger import service as ledger
from arcollect.risk import service as risk

router = APIRouter(tags=["customers"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]


def _read(header: dict) -> CustomerRead:
    return CustomerRead(**{**header, "credit_limit": money(header.get("credit_limit"), header["currency"])})


@router.get("/customers", response_model=Page[CustomerRead], responses=responses(401, 403, 422))
def list_customers(ctx: Ctx, caller: Caller, tag: Tagged, q: Annotated[str | None, Query(max_length=100)] = None,
                   collector: str | None = None, team: str | None = None, segment: str | None = None,
                   currency: Annotated[str | None, Query(max_length=3)] = None,
                   sort: Annotated[str, Query(pattern=r"^-?(customer_id|name|collector|segment)$")] = "customer_id",
                   limit: Limit = 50, offset: Offset = 0) -> Page[CustomerRead] | Response:
    """Customers the caller may see (a collector: their portfolio), filtered and paginated (ETag, 304)."""
    caller.require(READ)
    if tag.fresh:
        return tag.not_modified()
    items, total = ledger.list_customers(ctx, scope=caller.scope, q=q, collector=collector, team=team,
                                         segment=segment, currency=currency, sort=sort, limit=limit, offset=offset)
    return Page[CustomerRead](items=[_read(i) for i in items], total=total, limit=limit, offset=offset)


@router.get("/customers/{customer_id}", response_model=CustomerDetail, responses=responses(401, 403, 404, 422))
def get_customer(ctx: Ctx, caller: Caller, customer_id: str, as_of: DayQuery = None) -> CustomerDetail:
    """One customer with its open balance and unapplied cash/credits on ``as_of`` (default today)."""
    caller.require(READ)
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=as_of or ctx.clock.today(),
                                    scope=caller.scope)
    return CustomerDetail(**_read(view.customer).model_dump(), as_of=view.as_of, parent_id=view.parent_id,
                          children=view.children,
                          open_balance={c: money(a, c) for c, a in view.open_balance.items()},
                          unapplied_cash={c: money(a, c) for c, a in view.unapplied_cash.items()},
                          unapplied_credits={c: money(a, c) for c, a in view.unapplied_credits.items()},
                          payment_outlook=risk.account_outlook(ctx, customer_id=customer_id, as_of=view.as_of,
                                                               scope=caller.scope))


@router.patch("/customers/{customer_id}", response_model=CustomerRead,
              responses=responses(401, 403, 404, 422), dependencies=[needs(EDIT_CUSTOMER)])
def update_customer(ctx: Ctx, caller: Caller, customer_id: str, body: CustomerUpdate) -> CustomerRead:
    """Change contact details (email, phone, language, time zone). Audited."""
    header = ledger.update_customer(acting(ctx, caller), customer_id=customer_id,
                                    changes=body.model_dump(exclude_unset=True), scope=caller.scope)
    return _read(header)


@router.get("/customers/{customer_id}/hierarchy", response_model=HierarchyRead,
            responses=responses(401, 403, 404))
def hierarchy(ctx: Ctx, caller: Caller, customer_id: str) -> HierarchyRead:
    """Parents (top first) and children of a customer, as far as the caller may see them."""
    caller.require(READ)
    return HierarchyRead(**ledger.customer_hierarchy(ctx, scope=caller.scope, customer_id=customer_id))


@router.get("/customers/{customer_id}/contacts", response_model=list[ContactRead],
            responses=responses(401, 403, 404))
def contacts(ctx: Ctx, caller: Caller, customer_id: str) -> list[ContactRead]:
    caller.require(READ)
    return [ContactRead(**c) for c in ledger.list_contacts(ctx, scope=caller.scope, customer_id=customer_id)]
