"""The knowledge base a draft answers a customer's question from: the short answers admins maintain (bank
details, W-9, late fees — on the Assistant settings page, audited) and the team's SOPs, found through Ask's
full-text index (``search``) and cut to the section that answers (``knowledge``). ``find`` returns the best
answer with the document it came from, or None: a draft never makes an answer up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from arcollect import audit
from arcollect.assistant import knowledge, language, search, sops
from arcollect.assistant.agent_models import AssistantAnswer
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound

MAX_ANSWERS = 200
MAX_ANSWER_CHARS = 4000


def _view(a: AssistantAnswer) -> dict[str, Any]:
    return {"id": str(a.id), "topic": a.topic, "keywords": a.keywords, "language": a.language, "answer": a.answer,
            "updated_by": a.updated_by, "updated_at": a.updated_at}


def list_answers(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        return [_view(a) for a in session.scalars(select(AssistantAnswer).order_by(func.lower(AssistantAnswer.topic),
                                                                                  AssistantAnswer.id))]


def add_answer(ctx: Context, *, topic: str, answer: str, keywords: str = "", language_code: str = "en") -> dict[str, Any]:
    """Store one answer (audited ``add``); every problem named by its field."""
    problems = []
    topic, answer, keywords = (topic or "").strip(), (answer or "").strip(), " ".join((keywords or "").split())
    lang = language.base(language_code)
    if not 0 < len(topic) <= 200:
        problems.append("topic: 1 to 200 characters (the question, e.g. “What are your bank details?”)")
    if not 0 < len(answer) <= MAX_ANSWER_CHARS:
        problems.append(f"answer: 1 to {MAX_ANSWER_CHARS:,} characters")
    if len(keywords) > 1000:
        problems.append("keywords: at most 1,000 characters")
    if lang is None:
        problems.append(f"language: {language_code!r} is not one of {', '.join(language.LANGUAGES)}")
    if problems:
        raise InvalidInput("the answer was not stored", problems)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        if (session.scalar(select(func.count()).select_from(AssistantAnswer)) or 0) >= MAX_ANSWERS:
            raise InvalidInput(f"at most {MAX_ANSWERS} answers: delete one first")
        row = AssistantAnswer(topic=topic, keywords=keywords, language=lang, answer=answer, updated_by=ctx.actor,
                              updated_at=now)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="add", entity="assistant_answer", entity_key=str(row.id),
                     changes={"topic": topic, "keywords": keywords, "language": lang, "answer": answer})
        return _view(row)


def delete_answer(ctx: Context, *, answer_id: Any) -> dict[str, Any]:
    with ctx.unit_of_work() as session:
        pk = parse_pk(answer_id)
        row = session.get(AssistantAnswer, pk) if pk is not None else None
        if row is None:
            raise NotFound(f"answer {answer_id!r} not found")
        view = _view(row)
        session.delete(row)
        audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="delete", entity="assistant_answer",
                     entity_key=view["id"], changes={"topic": row.topic, "answer": row.answer})
        return view


def find(ctx: Context, *, text: str, language_code: str) -> dict[str, Any] | None:
    """The answer to the question of ``text``: ``{"kind": "answer"|"sop", "id", "title", "section", "text",
    "language", "keywords"}`` — an admin's answer first (in the customer's language before another), else the
    SOP section holding most of the question's words — or None when nothing holds enough of them."""
    look = knowledge.lookup(text)
    if not look.keywords:
        return None
    found = []
    for a in list_answers(ctx):
        n = knowledge.hits(look, f"{a['topic']}\n{a['keywords']}")
        if n >= look.needed:
            found.append((n, a["language"] == language_code, a))
    if found:
        _, _, a = max(found, key=lambda f: (f[0], f[1], -int(f[2]["id"])))
        return {"kind": "answer", "id": a["id"], "title": a["topic"], "section": None, "text": a["answer"],
                "language": a["language"], "keywords": list(look.keywords)}
    candidates: dict[str, float] = {}
    for word in look.keywords:  # Ask's index finds the documents holding each word; the sections are read here
        for r in search.search(ctx, query=word, kinds=["sop"], limit=20)["results"]:
            candidates[r["id"]] = candidates.get(r["id"], 0.0) + 1.0 + r["score"]
    best: tuple[int, float, dict[str, Any], str, str] | None = None
    for sop_id, score in candidates.items():
        doc = sops.get_sop(ctx, sop_id=sop_id)
        section = knowledge.best_section(look, doc["markdown"])
        if section is not None and (best is None or (section[0], score) > (best[0], best[1])):
            best = (section[0], score, doc, section[1], section[2])
    if best is None:
        return None
    _, _, doc, heading, excerpt = best
    return {"kind": "sop", "id": doc["id"], "title": doc["title"], "section": heading or None, "text": excerpt,
            "language": language.detect(excerpt, default="en"), "keywords": list(look.keywords)}
