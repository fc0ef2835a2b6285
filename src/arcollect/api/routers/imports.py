"""/api/v1/imports/{kind}: upload a CSV/XLSX file; the same validation report as `arcollect import`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.api.schemas import ImportRead
from arcollect.auth.permissions import IMPORT
from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger

router = APIRouter(tags=["imports"])
Kind = Literal[ledger.KINDS]  # the import kinds of the CLI: customers, contacts, invoices, credit-notes, payments


@router.post("/imports/{kind}", response_model=ImportRead, responses=responses(401, 403, 422),
             dependencies=[needs(IMPORT)])
def upload(request: Request, ctx: Ctx, caller: Caller, kind: Kind,
           file: Annotated[UploadFile, File(description="CSV or XLSX")],
           dry_run: Annotated[bool, Query(description="Validate only; write nothing")] = False,
           partial: Annotated[bool, Query(description="Import the valid rows, reject the others")] = False,
           ) -> ImportRead:
    """Import a file atomically: with any invalid row nothing is written and every error is listed."""
    result = ledger.import_upload(acting(ctx, caller), kind=kind, name=file.filename or "upload.csv",
                                  stream=file.file, dry_run=dry_run, partial=partial,
                                  rights=caller.import_rights, stop=request.app.state.stopping.is_set)
    if result["committed"]:
        disputes.after_import(acting(ctx, caller), kind)
    return ImportRead(**result)
