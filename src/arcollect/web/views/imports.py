"""Imports page: upload, check (a dry run lists every row error), then confirm to write."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from arcollect.auth.permissions import IMPORT
from arcollect.errors import ArcollectError
from arcollect.ledger import service as ledger
from arcollect.web.deps import Csrf, User, acting, get_ctx, page

router = APIRouter(include_in_schema=False)
Kind = Literal["customers", "contacts", "invoices", "credit_notes", "payments"]
KINDS = ["customers", "contacts", "invoices", "credit_notes", "payments"]


@router.get("/imports")
def imports(request: Request, user: User) -> Response:
    user.require(IMPORT)
    return page(request, "imports.html", nav="imports", kinds=KINDS, result=None, token=None, error=None)


@router.post("/imports", dependencies=[Csrf])
def check(request: Request, user: User, kind: Annotated[Kind, Form()], file: Annotated[UploadFile, File()]) -> Response:
    """Save the upload and dry-run it: the row errors, or what a confirmed import would do."""
    user.require(IMPORT)
    ctx = acting(request, user)
    try:
        path = ledger.save_upload(ctx, name=file.filename or "upload.csv", stream=file.file)
    except ArcollectError as exc:
        return page(request, "imports.html", status_code=exc.http_status, nav="imports", kinds=KINDS, result=None,
                    token=None, error=str(exc))
    try:
        result = ledger.import_saved(ctx, kind=kind, path=path, dry_run=True)
    except ArcollectError as exc:
        ledger.discard_upload(path)
        return page(request, "imports.html", status_code=exc.http_status, nav="imports", kinds=KINDS, result=None,
                    token=None, error=str(exc))
    token = None
    if result["errors"]:
        ledger.discard_upload(path)
    else:
        token = path.parent.name
    status = 422 if result["errors"] else 200
    return page(request, "imports.html", status_code=status, nav="imports", kinds=KINDS, result=result,
                token=token, kind=kind, error=None)


@router.post("/imports/confirm", dependencies=[Csrf])
def confirm(request: Request, user: User, kind: Annotated[Kind, Form()],
            token: Annotated[str, Form(max_length=32)]) -> Response:
    user.require(IMPORT)
    ctx = acting(request, user)
    try:
        path = ledger.find_upload(get_ctx(request), token=token)
        try:
            result = ledger.import_saved(ctx, kind=kind, path=path)
        finally:
            ledger.discard_upload(path)
    except ArcollectError as exc:
        return page(request, "imports.html", status_code=exc.http_status, nav="imports", kinds=KINDS, result=None,
                    token=None, error=str(exc))
    return page(request, "imports.html", nav="imports", kinds=KINDS, result=result, token=None, kind=kind, error=None)
