"""The team's SOPs: markdown documents admins upload (escalation matrix, credit policy, …), listed and shown
to everyone signed in (rendered with markdown-it, HTML in the source not passed through, then cleaned with
nh3), searched by ``assistant ask``. Upload and delete are audited."""

from __future__ import annotations

import re
from html import escape
from pathlib import PurePath
from typing import Any

import nh3
from markdown_it import MarkdownIt
from sqlalchemy import func, select

from arcollect import audit
from arcollect.assistant.models import SopDocument
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound

MAX_SOP_BYTES = 1_000_000
MAX_SOPS = 500
MAX_TITLE = 200
SUFFIXES = (".md", ".markdown", ".txt")
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def render(markdown: str) -> str:
    """Safe HTML of a markdown text: raw HTML in it shows as text, links get rel=noopener noreferrer, and nh3
    removes anything a page must not run (scripts, event handlers, javascript: links)."""
    return nh3.clean(_MD.render(markdown), link_rel="noopener noreferrer")


def _title(given: str | None, text: str, filename: str | None) -> str:
    title = (given or "").strip()
    if not title:
        heading = _HEADING.search(text)
        title = heading.group(1) if heading else PurePath(filename or "").stem.replace("_", " ").replace("-", " ")
    title = " ".join(title.split())
    if not title:
        raise InvalidInput("title: give the SOP a title (or start the document with a # heading)")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title: at most {MAX_TITLE} characters")
    return title


def _text(data: bytes, filename: str | None) -> str:
    where = filename or "the document"
    if filename and PurePath(filename).suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"{filename}: an SOP is a markdown file ({', '.join(SUFFIXES)})")
    if len(data) > MAX_SOP_BYTES:
        raise InvalidInput(f"{where}: larger than {MAX_SOP_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{where}: byte {exc.start}: not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidInput(f"{where}: contains NUL characters (not a text file)")
    if not text.strip():
        raise InvalidInput(f"{where}: is empty")
    return text.replace("\r\n", "\n")


def _view(doc: SopDocument, *, body: bool = False) -> dict[str, Any]:
    out = {"id": str(doc.id), "title": doc.title, "filename": doc.filename, "size": doc.size,
           "uploaded_at": doc.uploaded_at.isoformat(), "uploaded_by": doc.uploaded_by}
    if body:
        html = render(doc.body)
        heading = f"<h1>{escape(doc.title)}</h1>"
        if html.startswith(heading):  # the page's own heading says it already
            html = html[len(heading):].lstrip("\n")
        out.update(markdown=doc.body, html=html)
    return out


def upload(ctx: Context, *, data: bytes, filename: str | None = None, title: str | None = None) -> dict[str, Any]:
    """Store one SOP (a new document each time; delete the old one to replace it)."""
    text = _text(data, filename)
    name = PurePath(filename).name[:255] if filename else None
    with ctx.unit_of_work() as session:
        if (session.scalar(select(func.count()).select_from(SopDocument)) or 0) >= MAX_SOPS:
            raise InvalidInput(f"at most {MAX_SOPS} SOPs: delete one first")
        doc = SopDocument(title=_title(title, text, filename), filename=name, body=text, size=len(data),
                          uploaded_at=ctx.clock.now(), uploaded_by=ctx.actor)
        session.add(doc)
        session.flush()
        audit.record(session, at=doc.uploaded_at, actor=ctx.actor, action="upload", entity="sop",
                     entity_key=str(doc.id), changes={"title": doc.title, "filename": name, "size": doc.size})
        return _view(doc)


def list_sops(ctx: Context) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        return [_view(d) for d in session.scalars(select(SopDocument).order_by(func.lower(SopDocument.title),
                                                                               SopDocument.id))]


def _get(session: Any, sop_id: Any) -> SopDocument:
    pk = parse_pk(sop_id)
    doc = session.get(SopDocument, pk) if pk is not None else None
    if doc is None:
        raise NotFound(f"SOP {sop_id!r} not found")
    return doc


def get_sop(ctx: Context, *, sop_id: Any) -> dict[str, Any]:
    with ctx.sessions() as session:
        return _view(_get(session, sop_id), body=True)


def delete(ctx: Context, *, sop_id: Any) -> dict[str, Any]:
    with ctx.unit_of_work() as session:
        doc = _get(session, sop_id)
        view = _view(doc)
        session.delete(doc)
        audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="delete", entity="sop",
                     entity_key=view["id"], changes={"title": doc.title, "filename": doc.filename})
        return view
