"""The assistant's settings page (admins only): auto-approval per action kind with its confidence threshold
(stored; it wins over the ``ARCOLLECT_ASSISTANT_AUTO_APPROVE`` default) and the answers drafts may quote when
a customer asks a question — thin: the form → the service → back to the page with the outcome."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from arcollect.assistant import service as assistant
from arcollect.assistant.language import LANGUAGES
from arcollect.auth.permissions import ADMIN
from arcollect.errors import ArcollectError
from arcollect.web.deps import Csrf, User, acting, get_ctx, needs, page, problems_text, redirect

router = APIRouter(include_in_schema=False)
URL = "/admin/assistant"


@router.get(URL)
def settings_page(request: Request, user: User, status_code: int = 200, error: str | None = None) -> Response:
    user.require(ADMIN)
    ctx = get_ctx(request)
    return page(request, "assistant_settings.html", status_code=status_code, nav="assistant",
                rules=assistant.auto_approval_rules(ctx), answers=assistant.list_answers(ctx), languages=LANGUAGES,
                env_default=ctx.settings.assistant_auto_approve, error=error)


def _pct(value: float | None) -> str:
    return f"{round((value or 0) * 100)} %"


@router.post(URL + "/rules/{kind}", dependencies=[needs(ADMIN), Csrf])
def set_rule(request: Request, user: User, kind: str, enabled: Annotated[Literal["on", "off", "default"], Form()],
             threshold: Annotated[str, Form(max_length=20)] = "") -> Response:
    try:
        if enabled == "default":
            r = assistant.reset_auto_approval(acting(request, user), kind=kind)
        else:
            r = assistant.set_auto_approval(acting(request, user), kind=kind, enabled=enabled == "on",
                                            threshold=threshold.strip() or None)
    except ArcollectError as exc:
        return settings_page(request, user, status_code=exc.http_status, error=problems_text(exc))
    state = f"on at {_pct(r['threshold'])} confidence" if r["enabled"] else "off"
    where = " (back to the setting's default)" if r["source"] == "setting" else ""
    return redirect(request, URL, message=f"{r['label']}: auto-approval {state}{where}.")


@router.post(URL + "/answers", dependencies=[needs(ADMIN), Csrf])
def add_answer(request: Request, user: User, topic: Annotated[str, Form(max_length=200)],
               answer: Annotated[str, Form(max_length=4000)], keywords: Annotated[str, Form(max_length=1000)] = "",
               language: Annotated[str, Form(max_length=8)] = "en") -> Response:
    try:
        a = assistant.add_answer(acting(request, user), topic=topic, answer=answer, keywords=keywords,
                                 language_code=language)
    except ArcollectError as exc:
        return settings_page(request, user, status_code=exc.http_status, error=problems_text(exc))
    return redirect(request, URL + "#answers", message=f"Answer “{a['topic']}” added: drafts answering that question quote it.")


@router.post(URL + "/answers/{answer_id}/delete", dependencies=[needs(ADMIN), Csrf])
def delete_answer(request: Request, user: User, answer_id: str) -> Response:
    try:
        a = assistant.delete_answer(acting(request, user), answer_id=answer_id)
    except ArcollectError as exc:
        return settings_page(request, user, status_code=exc.http_status, error=problems_text(exc))
    return redirect(request, URL + "#answers", message=f"Answer “{a['topic']}” deleted.")
