"""/api/v1/invoices, /credit-notes, /payments, /applications: paginated, within the caller's scope."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from arcollect.api.deps import Caller, Ctx
from arcollect.api.etags import Conditional, Tagged
from arcollect.api.problems import responses
from arcollect.api.schemas import (
    ApplicationRead, CreditNoteRead, InvoiceRead, Page, PaymentRead, moneyed,
)
from arcollect.auth.permissions import READ
from arcollect.bounds import DayQuery
from arcollect.ledger import service as ledger

router = APIRouter(tags=["documents"])
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Status = Annotated[Literal["all", "open", "settled"], Query(description="open: something left on as_of")]


def _page(ctx, caller, tag: Conditional, kind, model, customer_id, status, as_of, limit, offset):  # noqa: ANN001, ANN202
    caller.require(READ)
    if tag.fresh:
        return tag.not_modified()
    items, total = ledger.list_documents(ctx, scope=caller.scope, kind=kind, as_of=as_of or ctx.clock.today(),
                                         customer_id=customer_id, status=status, limit=limit, offset=offset)
    return Page[model](items=[model(**moneyed(i, "amount", "open_amount")) for i in items], total=total,
                       limit=limit, offset=offset)


@router.get("/invoices", response_model=Page[InvoiceRead], responses=responses(401, 403, 404, 422))
def invoices(ctx: Ctx, caller: Caller, tag: Tagged, customer_id: str | None = None, status: Status = "all",
             as_of: DayQuery = None, limit: Limit = 50, offset: Offset = 0) -> Page[InvoiceRead] | Response:
    """Invoices issued by ``as_of`` with their open amount on that date, newest first."""
    return _page(ctx, caller, tag, "invoices", InvoiceRead, customer_id, status, as_of, limit, offset)


@router.get("/credit-notes", response_model=Page[CreditNoteRead], responses=responses(401, 403, 404, 422))
def credit_notes(ctx: Ctx, caller: Caller, tag: Tagged, customer_id: str | None = None, status: Status = "all",
                 as_of: DayQuery = None, limit: Limit = 50, offset: Offset = 0) -> Page[CreditNoteRead] | Response:
    return _page(ctx, caller, tag, "credit_notes", CreditNoteRead, customer_id, status, as_of, limit, offset)


@router.get("/payments", response_model=Page[PaymentRead], responses=responses(401, 403, 404, 422))
def payments(ctx: Ctx, caller: Caller, tag: Tagged, customer_id: str | None = None, status: Status = "all",
             as_of: DayQuery = None, limit: Limit = 50, offset: Offset = 0) -> Page[PaymentRead] | Response:
    """Payments received; unidentified cash (no customer) only for callers who see every customer."""
    return _page(ctx, caller, tag, "payments", PaymentRead, customer_id, status, as_of, limit, offset)


@router.get("/applications", response_model=Page[ApplicationRead], responses=responses(401, 403, 404, 422))
def applications(ctx: Ctx, caller: Caller, customer_id: str | None = None, invoice_id: str | None = None,
                 limit: Limit = 50, offset: Offset = 0) -> Page[ApplicationRead]:
    """Payments, credit notes and write-offs applied to invoices (reversals are negative rows)."""
    caller.require(READ)
    items, total = ledger.list_applications(ctx, scope=caller.scope, customer_id=customer_id,
                                            invoice_id=invoice_id, limit=limit, offset=offset)
    return Page[ApplicationRead](items=[ApplicationRead(**moneyed(i, "amount")) for i in items], total=total,
                                 limit=limit, offset=offset)
