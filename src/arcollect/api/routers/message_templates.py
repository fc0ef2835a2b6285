"""/api/v1 message templates: read, check on a real account, save as a new version, restore the default."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from arcollect.api.deps import Caller, Ctx, acting, needs
from arcollect.api.problems import responses
from arcollect.auth.permissions import PLAYBOOK, READ
from arcollect.outreach import template_store
from arcollect.outreach.render import EDITABLE, LANGUAGES

router = APIRouter(tags=["templates"])
Language = Annotated[Literal[LANGUAGES], Path(description="en, de, fr or es")]  # type: ignore[valid-type]
Name = Annotated[Literal[EDITABLE], Path(description="_layout or a playbook step's template")]  # type: ignore[valid-type]
Source = Annotated[str, Field(min_length=1, max_length=100_000, description="Jinja2 source")]
CustomerId = Annotated[str, Field(min_length=1, max_length=64)]


class TemplateSummary(BaseModel):
    language: str
    name: str
    edited: bool
    version: int
    saved_at: dt.datetime | None
    saved_by: str | None


class TemplateVersion(BaseModel):
    version: int
    saved_at: dt.datetime
    saved_by: str
    restored_default: bool


class TemplateRead(BaseModel):
    language: str
    name: str
    source: str
    edited: bool
    version: int
    versions: list[TemplateVersion]


class TemplateEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Source
    customer_id: CustomerId | None = Field(None, description="the account to check it on (default: a recent one)")


class TemplatePreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: Source
    customer_id: CustomerId


class TemplatePreview(BaseModel):
    language: str
    subject: str
    text: str
    html: str


class TemplateSaved(BaseModel):
    language: str
    name: str
    version: int
    edited: bool


@router.get("/templates", response_model=list[TemplateSummary], responses=responses(401, 403))
def templates(ctx: Ctx, caller: Caller) -> list[TemplateSummary]:
    """Every message template × language and whether an admin edited it."""
    caller.require(READ)
    return [TemplateSummary(**t) for t in template_store.catalogue(ctx)]


@router.get("/templates/{language}/{name}", response_model=TemplateRead, responses=responses(401, 403, 404))
def template(ctx: Ctx, caller: Caller, language: Language, name: Name) -> TemplateRead:
    """The source in force (edited or the default) and its versions."""
    caller.require(READ)
    return TemplateRead(**template_store.detail(ctx, language=language, name=name))


@router.post("/templates/{language}/{name}/preview", response_model=TemplatePreview,
             responses=responses(401, 403, 404, 422), dependencies=[needs(READ)])
def template_preview(ctx: Ctx, caller: Caller, language: Language, name: Name,
                     body: TemplatePreviewRequest) -> TemplatePreview:
    """Render a source on a real account in the caller's scope; a broken one is a 422 naming its line."""
    r = template_store.preview(ctx, language=language, name=name, source=body.source, customer_id=body.customer_id,
                               scope=caller.scope)
    return TemplatePreview(language=r.language, subject=r.subject, text=r.text, html=r.html)


@router.put("/templates/{language}/{name}", response_model=TemplateSaved, responses=responses(401, 403, 404, 422),
            dependencies=[needs(PLAYBOOK)])
def template_save(ctx: Ctx, caller: Caller, language: Language, name: Name, body: TemplateEdit) -> TemplateSaved:
    """Check the source on a real account and save it as the next version (admins)."""
    return TemplateSaved(**template_store.save(acting(ctx, caller), language=language, name=name, source=body.source,
                                               customer_id=body.customer_id, scope=caller.scope))


@router.delete("/templates/{language}/{name}", response_model=TemplateSaved, responses=responses(401, 403, 404, 409),
               dependencies=[needs(PLAYBOOK)])
def template_restore(ctx: Ctx, caller: Caller, language: Language, name: Name) -> TemplateSaved:
    """Put the default template back in force (a new version; admins)."""
    return TemplateSaved(**template_store.restore_default(acting(ctx, caller), language=language, name=name))
