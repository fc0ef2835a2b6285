"""/api/v1/search (the assistant's Ask: one search over everything the caller may see), POST
/api/v1/assistant/ask (a question in plain words answered by the agent when a language model is configured) and /api/v1/sops (the
team's SOPs: everyone signed in reads them, admins upload and delete) — thin: parse → the service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from arcollect.bounds import _YEARS, FIRST_DAY, LAST_DAY  # the years as a pattern too (OpenAPI has no date bounds)
from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.assistant import search as search_service
from arcollect.assistant import service as assistant
from arcollect.assistant import sops as sop_service
from arcollect.auth.permissions import ANSWER, READ, SOPS
from arcollect.disputes import service as disputes
from arcollect.errors import InvalidInput

router = APIRouter(tags=["assistant"])
Kind = Literal["account", "invoice", "email", "note", "call", "dispute", "sop"]


class SearchHit(BaseModel):
    kind: Kind
    id: str
    title: str
    title_html: str
    snippet: str
    customer_id: str | None
    customer_name: str | None
    date: str | None
    url: str
    exact: bool
    score: float


class SearchRead(BaseModel):
    query: str
    terms: list[str]
    total: int
    results: list[SearchHit]
    groups: dict[str, int]


class AskBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(min_length=1, max_length=500, pattern=r"\S", description="A question in plain words")
    search_only: bool = Field(default=False, description="The plain search only, even with a model configured")
    limit: int = Field(default=50, ge=1, le=search_service.MAX_LIMIT, description="Search results at most")


class Citation(BaseModel):
    kind: str
    id: str
    label: str
    url: str


class ToolCall(BaseModel):
    name: str
    arguments: str | None
    ok: bool
    error: str | None
    records: int


class Answer(BaseModel):
    model: str
    text: str | None
    html: str
    citations: list[Citation]
    tool_calls: list[ToolCall]
    steps: int
    stopped: str | None
    masked: dict[str, int]


class AskRead(BaseModel):
    question: str
    answer: Answer | None
    fallback: str | None
    search: SearchRead


class SopRead(BaseModel):
    id: str
    title: str
    filename: str | None
    size: int
    uploaded_at: str
    uploaded_by: str


class SopDetail(SopRead):
    markdown: str
    html: str


@router.get("/search", response_model=SearchRead, responses=responses(401, 403, 404, 422))
def search(ctx: Ctx, caller: Caller,
           q: Annotated[str, Query(min_length=1, max_length=500, description='Words to find (all of them); "a phrase" in quotes')],
           kind: Annotated[list[Kind] | None, Query(description="Only these kinds (repeat the parameter)")] = None,
           customer_id: Annotated[str | None, Query(max_length=64, description="Only this customer's records")] = None,
           date_from: Annotated[dt.date | None, Query(alias="from", ge=FIRST_DAY, le=LAST_DAY, description="Dated on or after (1970–2199)", json_schema_extra=_YEARS)] = None,
           date_to: Annotated[dt.date | None, Query(alias="to", ge=FIRST_DAY, le=LAST_DAY, description="Dated on or before (1970–2199)", json_schema_extra=_YEARS)] = None,
           limit: Annotated[int, Query(ge=1, le=search_service.MAX_LIMIT)] = 50) -> SearchRead:
    """Accounts, invoices, emails in and out, notes, call logs, disputes and SOPs matching every word, best
    first (the exact invoice or customer number typed leads); snippets are HTML with the words in ``<mark>``.
    Only what the caller may see: a collector their portfolio, a stakeholder their team's disputes."""
    caller.require(READ, ANSWER)
    return SearchRead(**search_service.search(ctx, query=q, kinds=kind, customer_id=customer_id, date_from=date_from,
                                              date_to=date_to, scope=disputes.case_scope(caller), limit=limit))


@router.post("/assistant/ask", response_model=AskRead, responses=responses(401, 403, 422))
def ask(ctx: Ctx, caller: Caller, body: AskBody) -> AskRead:
    """A question in plain words. With a language model configured, an agent answers it using read-only tools
    under the caller's scope and cites the records it used; the plain search runs too (and is all there is
    without a model, or when the model's output cannot be used: ``fallback`` says why). Audited."""
    caller.require(READ, ANSWER)
    return AskRead(**assistant.ask(acting(ctx, caller), question=body.question, scope=disputes.case_scope(caller),
                                   words_only=body.search_only, limit=body.limit))


@router.get("/sops", response_model=list[SopRead], responses=responses(401))
def sop_list(ctx: Ctx, caller: Caller) -> list[SopRead]:
    """The team's SOPs, by title."""
    return [SopRead(**d) for d in sop_service.list_sops(ctx)]


@router.get("/sops/{sop_id}", response_model=SopDetail, responses=responses(401, 404))
def sop_detail(ctx: Ctx, caller: Caller, sop_id: str) -> SopDetail:
    """One SOP: its markdown and the safe HTML it renders to."""
    return SopDetail(**sop_service.get_sop(ctx, sop_id=sop_id))


@router.post("/sops", response_model=SopRead, status_code=201, responses=responses(401, 403, 422),
             dependencies=[needs(SOPS)])
def sop_upload(ctx: Ctx, caller: Caller, file: Annotated[UploadFile, File(description="A markdown file")],
               title: Annotated[str | None, Form(max_length=200)] = None) -> SopRead:
    """Upload an SOP (admins). The title defaults to the document's first ``#`` heading."""
    data = file.file.read(sop_service.MAX_SOP_BYTES + 1)
    if len(data) > sop_service.MAX_SOP_BYTES:
        raise InvalidInput(f"{file.filename}: larger than {sop_service.MAX_SOP_BYTES:,} bytes")
    return SopRead(**sop_service.upload(acting(ctx, caller), data=data, filename=file.filename, title=title))


@router.delete("/sops/{sop_id}", status_code=204, responses=responses(401, 403, 404), dependencies=[needs(SOPS)])
def sop_delete(ctx: Ctx, caller: Caller, sop_id: str) -> Response:
    """Delete an SOP (admins; audited)."""
    sop_service.delete(acting(ctx, caller), sop_id=sop_id)
    return Response(status_code=204)
