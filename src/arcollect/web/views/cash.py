"""Cash application page: bank statements uploaded (with their balance check), "Match now", the lines by status,
and the review queue — the selected line beside its ranked proposals and its customer's open items, to accept
the top proposal, pick invoices by hand, find the customer of unidentified cash, unapply or exclude a line."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from arcollect.auth.permissions import CASH, READ
from arcollect.cashapp import service as cash
from arcollect.cashapp.models import LINE_STATUSES
from arcollect.errors import ArcollectError, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import EVERYTHING
from arcollect.money import format_money, to_decimal
from arcollect.web.deps import (Csrf, User, acting, field_words, form_date, get_ctx, needs, page, problems_text,
                               redirect)
from arcollect.web.views.cash_match import PHASES, back_query

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
FILTERS = ("", *LINE_STATUSES, cash.UNIDENTIFIED)  # "" = every line
Short = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=4000)]
Many = Annotated[list[str] | None, Form()]
Format = Literal["auto", "bai2", "camt", "mt940", "csv"]


def _amount(text: str, invoice_id: str) -> Decimal:
    """An amount typed beside an invoice: digits and a decimal point (``1266.88``), greater than zero."""
    value = text.strip()
    try:
        amount = to_decimal(value) if value and "," not in value else None
    except (TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise InvalidInput(f"{invoice_id}: “{value}” is not an amount — type it like 1234.56, greater than zero")
    return amount


def _back(request: Request, *, status: str, line: str | None, message: str | None = None,
          error: str | None = None, move_to: str = "") -> Response:
    """After a form post: the page with the same filter, on ``line``; the outcome shown once."""
    query = urlencode({k: v for k, v in (("status", status if status in FILTERS else ""), ("line", line),
                                         ("move_to", move_to)) if v})
    return redirect(request, "/cash" + (f"?{query}" if query else ""), message=message, error=error)


def _cash_page(request: Request, user: User, *, status: str = "", on: str = "", line: str = "", customer: str = "",
               q: str = "", page_no: int = 1, result: dict[str, Any] | None = None, error: str | None = None,
               status_code: int = 200, run: str = "", move_to: str = "") -> Response:
    ctx = get_ctx(request)
    may_apply = user.can(CASH)
    status = status if status in FILTERS else ""
    try:
        booked_on = form_date(on, "booked on")
    except InvalidInput as exc:
        booked_on, error = None, problems_text(exc)
    seen = {"scope": user.scope, "unidentified": may_apply}
    counts = cash.counts(ctx, booked_on=booked_on, **seen)
    counts["all"] = sum(counts[s] for s in LINE_STATUSES)
    page_no = max(1, page_no)
    rows, total = cash.lines(ctx, status=status or None, booked_on=booked_on, limit=PER_PAGE,
                             offset=(page_no - 1) * PER_PAGE, with_total=True, **seen)
    selected = None
    if line or rows:
        try:
            selected = cash.line_detail(ctx, line_id=line or rows[0]["id"], **seen)
        except NotFound as exc:
            error = error or problems_text(exc)
    ids = [r["id"] for r in rows]
    following = None
    if selected and selected["id"] in ids:
        at = ids.index(selected["id"])
        following = ids[at + 1] if at + 1 < len(ids) else (ids[at - 1] if at > 0 else None)
    # whose open items are shown for picking by hand: the one searched for, else the line's, else the top proposal's
    owner = customer.strip() or (selected and (selected["customer_id"] or
                                             next((p["customer_id"] for p in selected["proposals"]), None))) or None
    items, owner_name = [], None
    if selected and owner and may_apply and selected["status"] in ("unmatched", "proposed"):
        try:
            view = ledger.customer_overview(ctx, customer_id=owner, as_of=ctx.clock.today(), scope=user.scope)
            items = [i for i in view.open_items if i["currency"] == selected["currency"]]
            owner_name = view.customer["name"]
        except ArcollectError as exc:
            error, owner = error or problems_text(exc), None
    found: list[dict[str, Any]] = []
    if q.strip() and may_apply:
        found, _ = ledger.list_customers(ctx, scope=user.scope, q=q.strip()[:200], limit=20)
    statements, _ = cash.statements(ctx, limit=5) if may_apply else ([], 0)
    shown_run = _run(ctx, run) if may_apply else None
    moving = _move_target(ctx, user, selected, move_to) if may_apply and selected else None
    limit = cash.write_off_limit(ctx, selected["currency"]) if selected and selected.get("residuals") else None
    query = urlencode({k: v for k, v in (("status", status), ("on", on)) if v})
    return page(request, "cash.html", status_code=status_code, nav="cash", rows=rows, total=total, counts=counts,
                status=status, filters=FILTERS, on=on, selected=selected, following=following, owner=owner,
                owner_name=owner_name, items=items, q=q, found=found, may_apply=may_apply, result=result,
                error=error, statements=statements, formats=cash.FORMATS, query=query, page_no=page_no,
                pages=max(1, -(-total // PER_PAGE)), run=shown_run, phases=PHASES, moving=moving,
                writeoff_reasons=cash.WRITEOFF_REASONS, writeoff_limit=limit,
                back=back_query(status=status, line=selected["id"] if selected else ""))


def _run(ctx: Any, run_id: str) -> dict[str, Any] | None:
    """The matching run the page shows: the one named (just started, or just finished), else the one going."""
    if run_id:
        try:
            return cash.match_run(ctx, run_id=run_id)
        except NotFound:
            return None
    return cash.current_match_run(ctx)


def _move_target(ctx: Any, user: User, selected: dict[str, Any], move_to: str) -> dict[str, Any] | None:
    """Whom an applied line's cash may be moved to: the customer chosen, with their open items in its currency."""
    if selected["status"] != "applied" or not move_to.strip():
        return None
    try:
        view = ledger.customer_overview(ctx, customer_id=move_to.strip(), as_of=ctx.clock.today(), scope=EVERYTHING)
    except ArcollectError as exc:
        return {"error": problems_text(exc)}
    mine = {a["invoice_id"] for a in selected["applications"]}
    return {"customer_id": view.customer["customer_id"], "name": view.customer["name"],
            "items": [i for i in view.open_items if i["currency"] == selected["currency"]],
            "applied_here": mine}


@router.get("/cash")
def cash_page(request: Request, user: User, status: str = "", on: str = "", line: str = "", customer: str = "",
              q: str = "", page_no: Annotated[int, Query(alias="page", ge=1, le=10**6)] = 1, run: str = "",
              move_to: str = "") -> Response:
    """Cash roles work every line; a collector or a viewer reads those of the customers they see."""
    user.require(READ, CASH)
    return _cash_page(request, user, status=status[:20], on=on[:20], line=line[:20], customer=customer[:64],
                      q=q[:200], page_no=page_no, run=run[:20], move_to=move_to[:64])


@router.post("/cash/statements", dependencies=[needs(CASH), Csrf])
async def upload(request: Request, user: User, file: Annotated[UploadFile, File()],
                 format: Annotated[Format, Form()] = "auto", mapping: Text = "") -> Response:
    """A bank file in: each statement with its balance check, lines created and duplicates (nothing stored when
    the file is malformed: every problem is listed)."""
    limit = get_ctx(request).settings.upload_max_bytes
    data = await file.read(limit + 1)
    name = file.filename or "upload"
    if len(data) > limit:
        return _cash_page(request, user, error=f"{name}: larger than {limit:,} bytes; nothing was imported",
                          status_code=413)
    try:
        result = cash.import_upload(acting(request, user), name=name, data=data, fmt=format,
                                    mapping=",".join(p.strip() for p in mapping.splitlines() if p.strip()) or None)
    except ArcollectError as exc:
        problems = list(getattr(exc, "problems", []) or [])
        return _cash_page(request, user, result={"file_name": name, "problems": problems or [str(exc)]},
                          error=f"{name}: nothing was imported.", status_code=exc.http_status)
    return _cash_page(request, user, result={"file_name": name, **result})


@router.post("/cash/lines/{line_id}/accept", dependencies=[needs(CASH), Csrf])
def accept(request: Request, user: User, line_id: str, proposal: Short = "0", status: Short = "",
           next_line: Short = "") -> Response:
    """Apply a proposal exactly as the matcher ranked it (read from the line, not from the form)."""
    ctx = acting(request, user)
    try:
        current = cash.line(ctx, line_id=line_id, scope=user.scope)
        try:
            chosen = current["proposals"][int(proposal)]
        except (ValueError, IndexError):
            raise InvalidInput(f"bank line {line_id} has no proposal {proposal}") from None
        cash.apply(ctx, line_id=line_id, customer_id=chosen["customer_id"],
                   invoices=[(i["invoice_id"], to_decimal(i["amount"])) for i in chosen["invoices"]])
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=problems_text(exc))
    return _back(request, status=status, line=next_line or line_id,
                 message=f"Line {line_id} applied to {chosen['customer_id']}"
                         + (f" ({', '.join(i['invoice_id'] for i in chosen['invoices'])})." if chosen["invoices"]
                            else " (on account)."))


@router.post("/cash/lines/{line_id}/apply", dependencies=[needs(CASH), Csrf])
def apply_picked(request: Request, user: User, line_id: str, customer_id: Short = "", invoices: Many = None,
                 rows: Many = None, amounts: Many = None, status: Short = "", next_line: Short = "") -> Response:
    """The invoices ticked by hand, each for the amount typed beside it (blank: what is left of the line, in
    order); the rest stays unapplied on the customer."""
    typed = {iid: (a or "").strip() for iid, a in zip(rows or [], amounts or [])}
    ctx = acting(request, user)
    try:
        picked = []
        for invoice_id in invoices or []:
            amount = typed.get(invoice_id) or None
            picked.append((invoice_id, _amount(amount, invoice_id) if amount else None))
        done = cash.apply(ctx, line_id=line_id, invoices=picked, customer_id=customer_id.strip() or None)
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=problems_text(exc))
    spread = ", ".join(f"{a['invoice_id']} {a['amount']}" for a in done["applications"]) or "on account"
    return _back(request, status=status, line=next_line or line_id,
                 message=f"Line {line_id} applied to {done['customer_id']}: {spread}.")


@router.post("/cash/lines/{line_id}/unapply", dependencies=[needs(CASH), Csrf])
def unapply(request: Request, user: User, line_id: str, reason: Text = "", status: Short = "") -> Response:
    """Reverse what the line applied (reversal rows; nothing erased): it is unmatched again."""
    try:
        cash.unapply(acting(request, user), line_id=line_id, reason=reason.strip() or "unapplied")
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=problems_text(exc))
    return _back(request, status=status, line=line_id, message=f"Line {line_id} unapplied: it is unmatched again.")


@router.post("/cash/lines/{line_id}/exclude", dependencies=[needs(CASH), Csrf])
def exclude(request: Request, user: User, line_id: str, reason: Text = "", status: Short = "",
            next_line: Short = "") -> Response:
    """Take an undecided line out of matching, saying why (a transfer between own accounts, a bank error)."""
    try:
        cash.exclude(acting(request, user), line_id=line_id, reason=reason)
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=problems_text(exc))
    return _back(request, status=status, line=next_line or line_id, message=f"Line {line_id} excluded: {reason.strip()}.")


def _cli_free(text: str) -> str:
    """A service's message as the form reads it: without the command line's option names."""
    text = re.sub(r" ?\((?:--[\w-]+)(?: or --[\w-]+)?\)", "", text)
    return re.sub(r"--([\w-]+)", lambda m: field_words(m.group(1)), text)


@router.post("/cash/lines/{line_id}/move", dependencies=[needs(CASH), Csrf])
def move(request: Request, user: User, line_id: str, customer_id: Short = "", reason: Text = "",
         invoices: Many = None, rows: Many = None, amounts: Many = None, status: Short = "") -> Response:
    """Misapplied cash moved to another customer (or other invoices): what the line applied is reversed (reversal
    rows; nothing erased) and it is applied again as chosen, in one transaction; the reason is required."""
    typed = {iid: (a or "").strip() for iid, a in zip(rows or [], amounts or [])}
    ctx = acting(request, user)
    target = customer_id.strip()
    try:
        if not reason.strip():
            raise InvalidInput("Say why the cash is moved: the reason is kept with the reversal")
        if not target:
            raise InvalidInput("Choose the customer the cash belongs to")
        picked = [(i, _amount(typed[i], i) if typed.get(i) else None) for i in invoices or []]
        before = cash.line(ctx, line_id=line_id)
        done = cash.move(ctx, line_id=line_id, customer_id=target, invoices=picked, reason=reason.strip())
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=_cli_free(problems_text(exc)), move_to=target)
    cur = done["currency"]
    spread = ", ".join(f"{a['invoice_id']} {format_money(to_decimal(a['amount']), cur)}" for a in done["applications"])
    old = ", ".join(a["invoice_id"] for a in before["applications"]) or "on account"
    return _back(request, status=status, line=line_id,
                 message=f"Line {line_id} moved from {before['customer_id']} ({old}) to {done['customer_id']}: "
                         f"{spread or 'all on account'}. The old applications were reversed, nothing erased.")


@router.post("/cash/lines/{line_id}/writeoff", dependencies=[needs(CASH), Csrf])
def write_off(request: Request, user: User, line_id: str, invoice_id: Short = "", amount: Short = "",
              reason: Short = "", note: Text = "", status: Short = "") -> Response:
    """The residual an applied line left on an invoice written off with a reason code: at once within the auto
    limit, else a write-off request for an approver of the matrix (the message says which)."""
    ctx = acting(request, user)
    try:
        if reason not in cash.WRITEOFF_REASONS:
            raise InvalidInput("Choose why the residual is written off")
        value = _amount(amount, invoice_id or "Amount")
        done = cash.write_off(ctx, line_id=line_id, invoice_id=invoice_id.strip(), amount=value, reason=reason,
                              note=note.strip()[:2000] or None)
    except ArcollectError as exc:
        return _back(request, status=status, line=line_id, error=_cli_free(problems_text(exc)))
    cur = done["currency"]
    what = " and ".join(f"{format_money(to_decimal(i['amount']), cur)} on {i['invoice_id']}" for i in done["invoices"])
    why = cash.WRITEOFF_REASONS[done["reason"]].lower()
    if done["status"] == "written_off":
        words = f"Write-off of {what} written off ({why}); the invoice is settled by this much."
    else:
        who = " or ".join(f"{'an' if r[:1] in 'aeiou' else 'a'} {r.replace('_', ' ')}" for r in done["approvers"])
        words = (f"Write-off of {what} sent for approval to {who or 'an approver'} (escalation "
                 f"{done['escalation_id']}, {why}); nothing is written off until it is approved.")
    return _back(request, status=status, line=line_id, message=words)
