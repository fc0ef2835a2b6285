"""The Ask page (the header's search box): results of every kind the user may see, grouped by kind, with
their highlighted snippets and a link to each record; and the SOPs pages (everyone reads; admins upload and
delete)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from arcollect.assistant import search as search_service
from arcollect.assistant import service as assistant
from arcollect.assistant import sops as sop_service
from arcollect.auth.permissions import ANSWER, READ, SOPS
from arcollect.disputes import service as disputes
from arcollect.errors import ArcollectError
from arcollect.web.deps import Csrf, User, acting, form_date, get_ctx, needs, page, problems_text, redirect

router = APIRouter(include_in_schema=False)


@router.get("/search")
def search_page(request: Request, user: User, q: Annotated[str, Query(max_length=500)] = "",
                kind: Annotated[str, Query(max_length=20)] = "", customer: Annotated[str, Query(max_length=64)] = "",
                date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
                date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
                words: Annotated[str, Query(max_length=1)] = "") -> Response:
    user.require(READ, ANSWER)
    found, asked, error, status = None, None, None, 200
    try:
        start, end = form_date(date_from, "from"), form_date(date_to, "to")
        if q.strip():
            asked = assistant.ask(acting(request, user), question=q, kinds=[kind] if kind else None,
                                  customer_id=customer.strip() or None, date_from=start, date_to=end,
                                  scope=disputes.case_scope(user), limit=100, words_only=bool(words))
            found = asked["search"]
    except ArcollectError as exc:
        error, status = problems_text(exc), exc.http_status
    groups = []
    if found:
        for k in search_service.KINDS:
            hits = [r for r in found["results"] if r["kind"] == k]
            if hits:
                groups.append({"kind": k, "label": search_service.KIND_LABELS[k], "hits": hits})
    return page(request, "search.html", status_code=status, nav="search", q=q, kind=kind, customer=customer,
                date_from=date_from, date_to=date_to, found=found, groups=groups, error=error, asked=asked,
                words=words,
                kinds=[(k, search_service.KIND_LABELS[k]) for k in search_service.KINDS])


def _sops_page(request: Request, user: User, status_code: int = 200, error: str | None = None) -> Response:  # noqa: ANN001
    return page(request, "sops.html", status_code=status_code, nav="sops", sops=sop_service.list_sops(get_ctx(request)),
                may_edit=user.can(SOPS), error=error, max_bytes=sop_service.MAX_SOP_BYTES)


@router.get("/sops")
def sops_page(request: Request, user: User) -> Response:
    return _sops_page(request, user)


@router.get("/sops/{sop_id}")
def sop_page(request: Request, user: User, sop_id: str) -> Response:
    doc = sop_service.get_sop(get_ctx(request), sop_id=sop_id)
    return page(request, "sop.html", nav="sops", doc=doc, may_edit=user.can(SOPS))


@router.post("/sops", dependencies=[needs(SOPS), Csrf])
def sop_upload(request: Request, user: User, file: Annotated[UploadFile, File()],
               title: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        data = file.file.read(sop_service.MAX_SOP_BYTES + 1)
        doc = sop_service.upload(acting(request, user), data=data, filename=file.filename or None, title=title or None)
    except ArcollectError as exc:
        return _sops_page(request, user, status_code=exc.http_status, error=problems_text(exc))
    return redirect(request, f"/sops/{doc['id']}", message=f"“{doc['title']}” is uploaded: everyone signed in can "
                                                           "read it, and the search box finds it.")


@router.post("/sops/{sop_id}/delete", dependencies=[needs(SOPS), Csrf])
def sop_delete(request: Request, user: User, sop_id: str) -> Response:
    try:
        doc = sop_service.delete(acting(request, user), sop_id=sop_id)
    except ArcollectError as exc:
        return _sops_page(request, user, status_code=exc.http_status, error=problems_text(exc))
    return redirect(request, "/sops", message=f"“{doc['title']}” is deleted.")
