"""Imports page: upload, check (a dry run lists every row error), then confirm to write."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from arcollect.auth.permissions import IMPORT
from arcollect.disputes import service as disputes
from arcollect.errors import ArcollectError
from arcollect.ledger import service as ledger
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page

router = APIRouter(include_in_schema=False)
Kind = Literal[ledger.KINDS]  # the import kinds of the CLI


def _imports_page(request: Request, *, status_code: int = 200, result: dict | None = None, token: str | None = None,
                  kind: str | None = None, error: str | None = None) -> Response:
    return page(request, "imports.html", status_code=status_code, nav="imports", kinds=ledger.KINDS, result=result,
                token=token, kind=kind, error=error)


@router.get("/imports")
def imports(request: Request, user: User) -> Response:
    user.require(IMPORT)
    return _imports_page(request)


@router.post("/imports", dependencies=[needs(IMPORT), Csrf])
def check(request: Request, user: User, kind: Annotated[Kind, Form()], file: Annotated[UploadFile, File()]) -> Response:
    """Save the upload and dry-run it: the row errors, or what a confirmed import would do."""
    ctx = acting(request, user)
    try:
        path = ledger.save_upload(ctx, name=file.filename or "upload.csv", stream=file.file)
    except ArcollectError as exc:
        return _imports_page(request, status_code=exc.http_status, error=str(exc))
    try:
        result = ledger.import_saved(ctx, kind=kind, path=path, dry_run=True, rights=user.import_rights,
                                     stop=request.app.state.stopping.is_set)
    except ArcollectError as exc:
        ledger.discard_upload(path)
        return _imports_page(request, status_code=exc.http_status, error=str(exc))
    if result["errors"]:
        ledger.discard_upload(path)
        return _imports_page(request, status_code=422, result=result, kind=kind)
    return _imports_page(request, result=result, token=path.parent.name, kind=kind)


@router.post("/imports/confirm", dependencies=[needs(IMPORT), Csrf])
def confirm(request: Request, user: User, kind: Annotated[Kind, Form()],
            token: Annotated[str, Form(max_length=32)]) -> Response:
    ctx = acting(request, user)
    try:
        path = ledger.find_upload(get_ctx(request), token=token)
        try:
            result = ledger.import_saved(ctx, kind=kind, path=path, rights=user.import_rights,
                                         stop=request.app.state.stopping.is_set)
        finally:
            ledger.discard_upload(path)
        if result["committed"]:
            disputes.after_import(ctx, kind)
    except ArcollectError as exc:
        return _imports_page(request, status_code=exc.http_status, error=str(exc))
    return _imports_page(request, result=result, kind=kind)
