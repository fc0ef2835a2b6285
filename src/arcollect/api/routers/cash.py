"""/api/v1/cash: bank statements in, lines matched, applied, unapplied and excluded (thin: parse → service)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.schemas import Page
from arcollect.auth.permissions import CASH, READ
from arcollect.bounds import AMOUNT_PATTERN, Day
from arcollect.cashapp import service as cash
from arcollect.errors import InvalidInput

router = APIRouter(tags=["cash"])
Status = Literal["unmatched", "proposed", "applied", "excluded"]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Format = Literal["auto", "bai2", "camt", "mt940", "csv"]


class StatementSummary(BaseModel):
    account: str
    currency: str
    opening: str | None = Field(description="the opening balance the file states (null: it states none)")
    closing: str | None = Field(description="the closing balance the file states (null: it states none)")
    credits: str
    debits: str
    balance_check: Literal["ok", "break", "n/a"]
    lines: int


class CashImportRead(BaseModel):
    """CONTRACT §9's `cash import --json`."""
    statements: list[StatementSummary]
    created: int
    duplicates: int


class StatementRead(StatementSummary):
    id: str
    statement_id: str | None
    format: str
    file_name: str
    opening_date: str | None
    closing_date: str | None
    continuity: str | None = Field(description="gap or overlap with the account's previous statement")
    imported_at: str
    imported_by: str


class ApplicationRead(BaseModel):
    invoice_id: str
    amount: str


class LineRead(BaseModel):
    """CONTRACT §9's `cash lines --format json` row."""
    id: str
    reference: str
    date: str
    amount: str
    currency: str
    payer: str
    remittance: str
    status: Status
    customer_id: str | None
    confidence: float
    applications: list[ApplicationRead]
    reasons: list[str]
    proposals: list[dict[str, Any]]


class MatchRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day | None = Field(None, description="open items as of this date (default: today)")


class MatchRead(BaseModel):
    as_of: str
    lines: int
    applied: int
    proposed: int
    unidentified: int
    changed: int
    errors: list[str]
    skipped_closed: int = Field(0, description="lines booked in a closed month, left as they are")


class InvoicePart(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: Annotated[str, Field(min_length=1, max_length=64)]
    amount: Annotated[str, Field(pattern=AMOUNT_PATTERN)] | None = Field(
        None, description="what to apply (default: what is left of the line, up to the open amount)")


class LineApply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoices: Annotated[list[InvoicePart], Field(max_length=500)] = []
    customer_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="whose cash it is (default: the invoices' customer)")


class LineUnapply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=4000)] = "unapplied"


class LineExclude(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]


class LineMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: Annotated[str, Field(min_length=1, max_length=64)] | None = Field(
        None, description="whose cash it is (default: the invoices' customer)")
    invoices: Annotated[list[InvoicePart], Field(max_length=500)] = []
    reason: Annotated[str, Field(min_length=1, max_length=4000, pattern=r"\S")]


WriteOffReason = Literal["bank_fee", "discount", "deduction", "fx_difference", "small_balance", "rounding"]


class LineWriteOff(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invoice_id: Annotated[str, Field(min_length=1, max_length=64)]
    amount: Annotated[str, Field(pattern=AMOUNT_PATTERN)]
    reason: WriteOffReason
    note: Annotated[str, Field(max_length=2000)] | None = None


class WriteOffRead(BaseModel):
    line_id: str
    status: Literal["written_off", "requested"]
    reason: str
    currency: str
    invoices: list[ApplicationRead]
    write_offs: list[str] = Field(description="the ledger's write-offs (written off at once)")
    escalation_id: str | None = Field(description="the write-off escalation an approver decides (requested)")
    approvers: list[str]


class MatchRunRead(BaseModel):
    id: str
    status: Literal["running", "done", "failed"]
    phase: str
    as_of: str
    total: int
    done: int
    percent: int
    result: dict[str, Any]
    error: str | None
    started_by: str
    started_at: str
    finished_at: str | None


@router.get("/cash/statements", response_model=Page[StatementRead], responses=responses(401, 403, 422))
def statement_list(ctx: Ctx, caller: Caller, limit: Limit = 50, offset: Offset = 0) -> Page[StatementRead]:
    """Imported bank statements, newest first, with their balance check (cash roles)."""
    caller.require(CASH)
    items, total = cash.statements(ctx, limit=limit, offset=offset)
    return Page[StatementRead](items=[StatementRead(**i) for i in items], total=total, limit=limit, offset=offset)


@router.post("/cash/statements", response_model=CashImportRead, status_code=201, responses=responses(401, 403, 422),
             dependencies=[needs(CASH)])
def statement_upload(ctx: Ctx, caller: Caller, file: Annotated[UploadFile, File(description="a bank file")],
                     format: Format = "auto",
                     mapping: Annotated[str | None, Query(max_length=4000, description="CSV column mapping")] = None,
                     ) -> CashImportRead:
    """Import a bank file (atomic, idempotent): lines seen before count as duplicates; a malformed file stores
    nothing and every problem is listed."""
    limit = ctx.settings.upload_max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{file.filename}: larger than {limit:,} bytes")
    result = cash.import_upload(acting(ctx, caller), name=file.filename or "upload", data=data, fmt=format,
                                mapping=mapping)
    return CashImportRead(**result)


@router.get("/cash/lines", response_model=Page[LineRead], responses=responses(401, 403, 422))
def line_list(ctx: Ctx, caller: Caller, status: Status | None = None, limit: Limit = 50,
              offset: Offset = 0) -> Page[LineRead]:
    """Bank lines, newest first: a collector's of their portfolio's customers; unidentified ones for cash roles."""
    caller.require(READ, CASH)
    items, total = cash.lines(ctx, status=status, scope=caller.scope, unidentified=caller.can(CASH), limit=limit,
                              offset=offset, with_total=True)
    return Page[LineRead](items=[LineRead(**i) for i in items], total=total, limit=limit, offset=offset)


@router.get("/cash/lines/{line_id}", response_model=LineRead, responses=responses(401, 403, 404))
def line_detail(ctx: Ctx, caller: Caller, line_id: str) -> LineRead:
    """One bank line (404 outside the caller's scope)."""
    caller.require(READ, CASH)
    return LineRead(**cash.line(ctx, line_id=line_id, scope=caller.scope, unidentified=caller.can(CASH)))


@router.post("/cash/match", response_model=MatchRead, responses=responses(401, 403, 422), dependencies=[needs(CASH)])
def match_run(ctx: Ctx, caller: Caller, body: MatchRun) -> MatchRead:
    """Match every credit line not yet applied: certain ones applied at once, the others proposed (409 while
    another matching run is in progress)."""
    return MatchRead(**cash.match_tracked(acting(ctx, caller), as_of=body.as_of))


@router.get("/cash/match/runs/{run_id}", response_model=MatchRunRead, responses=responses(401, 403, 404),
            dependencies=[needs(CASH)])
def match_run_progress(ctx: Ctx, caller: Caller, run_id: str) -> MatchRunRead:
    """A matching run's progress: status, phase, lines done of total, and its result once done."""
    return MatchRunRead(**cash.match_run(ctx, run_id=run_id))


@router.post("/cash/lines/{line_id}/apply", response_model=LineRead, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(CASH)])
def line_apply(ctx: Ctx, caller: Caller, line_id: str, body: LineApply) -> LineRead:
    """Apply a line by hand (the rest unapplied on the customer); teaches the payer's account and name."""
    invoices = [(i.invoice_id, None if i.amount is None else cash.parse_invoices(f"x:{i.amount}")[0][1])
                for i in body.invoices]
    return LineRead(**cash.apply(acting(ctx, caller), line_id=line_id, invoices=invoices, customer_id=body.customer_id))


@router.post("/cash/lines/{line_id}/unapply", response_model=LineRead, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(CASH)])
def line_unapply(ctx: Ctx, caller: Caller, line_id: str, body: LineUnapply) -> LineRead:
    """Reverse what the line applied (reversal rows; nothing erased); the line is unmatched again."""
    return LineRead(**cash.unapply(acting(ctx, caller), line_id=line_id, reason=body.reason))


@router.post("/cash/lines/{line_id}/exclude", response_model=LineRead, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(CASH)])
def line_exclude(ctx: Ctx, caller: Caller, line_id: str, body: LineExclude) -> LineRead:
    """Exclude an undecided line from matching, with the reason."""
    return LineRead(**cash.exclude(acting(ctx, caller), line_id=line_id, reason=body.reason))


@router.post("/cash/lines/{line_id}/move", response_model=LineRead, responses=responses(401, 403, 404, 409, 422),
             dependencies=[needs(CASH)])
def line_move(ctx: Ctx, caller: Caller, line_id: str, body: LineMove) -> LineRead:
    """Move misapplied cash: what the line applied is reversed (nothing erased) and it is applied to the customer
    or invoices named, in one transaction; audited with from and to."""
    invoices = [(i.invoice_id, None if i.amount is None else cash.parse_invoices(f"x:{i.amount}")[0][1])
                for i in body.invoices]
    return LineRead(**cash.move(acting(ctx, caller), line_id=line_id, customer_id=body.customer_id, invoices=invoices,
                                reason=body.reason))


@router.post("/cash/lines/{line_id}/writeoff", response_model=WriteOffRead, status_code=201,
             responses=responses(401, 403, 404, 409, 422), dependencies=[needs(CASH)])
def line_write_off(ctx: Ctx, caller: Caller, line_id: str, body: LineWriteOff) -> WriteOffRead:
    """Write off the residual the line left on an invoice it short-paid: at once within the auto limit, else a
    write-off escalation for an approver of the matrix (``status`` says which)."""
    return WriteOffRead(**cash.write_off(acting(ctx, caller), line_id=line_id, invoice_id=body.invoice_id,
                                         amount=body.amount, reason=body.reason, note=body.note))
