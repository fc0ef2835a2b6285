"""The message template editor: every template × language, an editor with a live preview on a real
account (htmx re-renders it as the admin types), save as a new version, restore the default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from arcollect.auth.permissions import PLAYBOOK, READ
from arcollect.errors import ArcollectError, InvalidInput
from arcollect.outreach import template_store
from arcollect.outreach.render import EDITABLE, LANGUAGES
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page

router = APIRouter(include_in_schema=False)
Source = Annotated[str, Form(max_length=100_000)]
CustomerField = Annotated[str, Form(max_length=200)]


@router.get("/templates")
def catalogue(request: Request, user: User) -> Response:
    user.require(READ)
    rows = template_store.catalogue(get_ctx(request))
    grid = {name: {r["language"]: r for r in rows if r["name"] == name} for name in EDITABLE}
    return page(request, "templates.html", nav="templates", grid=grid, languages=LANGUAGES)


def _editor(request: Request, user: User, language: str, name: str, *, source: str | None = None,
            customer: str | None = None, status_code: int = 200, message: str | None = None,
            error: str | None = None) -> Response:
    ctx = get_ctx(request)
    current = template_store.detail(ctx, language=language, name=name)
    customer = (customer or "").strip() or template_store.sample_customer(ctx, scope=user.scope)
    text = current["source"] if source is None else source
    preview = problem = None
    if customer:
        try:
            preview = template_store.preview(ctx, language=language, name=name, source=text, customer_id=customer,
                                             scope=user.scope)
        except ArcollectError as exc:
            problem = str(exc)
    return page(request, "template_edit.html", status_code=status_code, nav="templates", t=current, text=text,
                customer=customer, preview=preview, problem=problem, can_edit=user.can(PLAYBOOK),
                message=message, error=error)


@router.get("/templates/{language}/{name}")
def editor(request: Request, user: User, language: str, name: str,
           customer: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    user.require(READ)
    return _editor(request, user, language, name, customer=customer)


@router.post("/templates/{language}/{name}/preview", dependencies=[needs(READ), Csrf])
def live_preview(request: Request, user: User, language: str, name: str, source: Source = "",
                 customer: CustomerField = "") -> Response:
    """The preview pane alone (htmx swaps it in as the admin types; without JS, the whole editor);
    nothing is stored."""
    if request.headers.get("HX-Request") != "true":
        return _editor(request, user, language, name, source=source, customer=customer)
    ctx = get_ctx(request)
    preview = problem = None
    try:
        preview = template_store.preview(ctx, language=language, name=name, source=source,
                                         customer_id=customer.strip(), scope=user.scope)
    except ArcollectError as exc:
        problem = str(exc)
    return page(request, "_template_preview.html", preview=preview, problem=problem, customer=customer.strip())


@router.post("/templates/{language}/{name}", dependencies=[needs(PLAYBOOK), Csrf])
def save(request: Request, user: User, language: str, name: str, source: Source = "", customer: CustomerField = "",
         action: Annotated[str, Form(max_length=20)] = "save") -> Response:
    try:
        if action == "restore":
            result = template_store.restore_default(acting(request, user), language=language, name=name)
            return _editor(request, user, language, name, customer=customer,
                           message=f"The default template is back in force (version {result['version']}).")
        result = template_store.save(acting(request, user), language=language, name=name, source=source,
                                     customer_id=customer.strip() or None, scope=user.scope)
    except InvalidInput as exc:
        return _editor(request, user, language, name, source=source, customer=customer, status_code=422,
                       error=f"Not saved: {exc}")
    except ArcollectError as exc:
        return _editor(request, user, language, name, source=source, customer=customer, status_code=exc.http_status,
                       error=str(exc))
    return _editor(request, user, language, name, customer=customer,
                   message=f"Saved as version {result['version']}: the next messages use it.")
