"""Ask: one search box over everything the caller may see — accounts, invoices, emails in and out, notes,
call logs, disputes and the team's SOPs — ranked, with highlighted snippets, filters, and the caller's scope
applied inside every query (a collector's search never reads another portfolio's rows, so no snippet can
show one). Full text on SQLite FTS5 and PostgreSQL ``tsvector`` (see ``search_index``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any, Callable, Sequence

from sqlalchemy import and_, bindparam, false, func, literal_column, select, table, text, true
from sqlalchemy.orm import Session, load_only

from arcollect.assistant import search_index as I
from arcollect.assistant import search_terms as T
from arcollect.assistant.models import SopDocument
from arcollect.context import Context
from arcollect.db import UTCDateTime
from arcollect.disputes.models import Dispute, DisputeEvent
from arcollect.disputes.service import ALL_CASES, CaseScope
from arcollect.errors import InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.outreach.models import InboundMessage, OutboxMessage
from arcollect.promises.models import Activity

KINDS = ("account", "invoice", "email", "note", "call", "dispute", "sop")
KIND_LABELS = {"account": "Accounts", "invoice": "Invoices", "email": "Emails", "note": "Notes",
               "call": "Call logs", "dispute": "Disputes", "sop": "SOPs"}
MAX_LIMIT = 200
PG_CANDIDATES = 2000  # PostgreSQL ranks the first this many matches of one kind (add a word to narrow)


@dataclass(frozen=True)
class Source:
    """One searched table: what kind of result it gives, how its rows reach a customer, its date, its text."""

    kind: str
    model: Any
    title: Callable[[Any], list[tuple[str, bool]]]
    body: tuple[str, ...]       # the columns a snippet is taken from, best first
    date: Any                   # the column the date range filters on (None: undated)
    weights: tuple[float, ...]  # SQLite bm25 column weights, in search_index.TABLES order


Title = list[tuple[str, bool]]  # (text, whether it is the record's own text: highlighted; else our label)


def _activity_title(a: Any) -> Title:
    if a.kind == "call":
        what = "Call" + (f" ({a.outcome.replace('_', ' ')})" if a.outcome else "")
    else:
        what = "Note" if a.kind == "note" else f"{a.kind.capitalize()} note"
    return [(f"{what} by {a.actor}", False)]


SOURCES: tuple[Source, ...] = (
    Source("account", Customer, lambda c: [(c.name, True), (" (", False), (c.customer_id, True), (")", False)],
           ("email",), None, (10.0, 5.0, 2.0)),
    Source("invoice", Invoice, lambda i: [("Invoice ", False), (i.invoice_id, True)]
           + ([(" · PO ", False), (i.po_number, True)] if i.po_number else []),
           ("description", "po_number"), Invoice.issue_date, (10.0, 5.0, 1.0)),
    Source("email", OutboxMessage, lambda m: [("Sent: ", False), (m.subject, True)], ("body_text",),
           OutboxMessage.created_at, (3.0, 1.0)),
    Source("email", InboundMessage, lambda m: [("Received: ", False), (m.subject or "(no subject)", bool(m.subject))],
           ("body_text", "from_addr"), InboundMessage.fetched_at, (3.0, 2.0, 1.0)),
    Source("note", Activity, _activity_title, ("note",), Activity.at, (1.0,)),
    Source("dispute", Dispute, lambda d: [(f"Dispute {d.id} · ", False), (d.reason.replace("_", " "), True),
                                          (f" · {d.status.replace('_', ' ')}", False)],
           ("note", "reason"), Dispute.opened_on, (2.0, 1.0)),
    Source("dispute", DisputeEvent, lambda e: [(f"Dispute {e.dispute_pk} · comment by {e.actor}", False)], ("text",),
           DisputeEvent.at, (1.0,)),
    Source("sop", SopDocument, lambda s: [(s.title, True)], ("body",), SopDocument.uploaded_at, (5.0, 1.0)),
)


LOADED: dict[Any, tuple[str, ...]] = {  # what a result shows: never a message's raw bytes or attachment
    Customer: ("id", "customer_id", "name", "email"),
    Invoice: ("id", "invoice_id", "po_number", "description", "issue_date"),
    OutboxMessage: ("id", "subject", "body_text", "created_at", "sent_at"),
    InboundMessage: ("id", "subject", "body_text", "from_addr", "fetched_at", "sent_at"),
    Activity: ("id", "kind", "outcome", "actor", "note", "at"),
    Dispute: ("id", "reason", "status", "note", "opened_on"),
    DisputeEvent: ("id", "dispute_pk", "actor", "text", "at"),
    SopDocument: ("id", "title", "body", "uploaded_at"),
}


def _only(model: Any) -> Any:
    return load_only(*(getattr(model, a) for a in LOADED[model]))


def _match(dialect: str, model: Any, q: T.Query, n: int) -> tuple[list[Any], Any, Any | None]:
    """(joins, WHERE condition, rank expression — higher is better) of the full-text match on ``model``."""
    name = model.__tablename__
    if dialect == "sqlite":
        fts = table(f"fts_{name}", literal_column("rowid"))
        weights = ", ".join(str(w) for w in next(s.weights for s in SOURCES if s.model is model))
        cond = text(f"fts_{name} MATCH :m{n}").bindparams(bindparam(f"m{n}", T.fts5_match(q)))
        return [(fts, literal_column(f"fts_{name}.rowid") == model.id)], cond, literal_column(f"-bm25(fts_{name}, {weights})")
    doc = literal_column(f"{name}.{I.PG_COLUMN}")
    tsq = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam(f"q{n}", T.pg_tsquery(q)))
    return [], doc.op("@@")(tsq), func.ts_rank_cd(doc, tsq)


def _customer_join(model: Any) -> tuple[list[Any], bool]:
    """How ``model``'s rows reach their customer (joins, whether the customer may be missing)."""
    if model is Customer or model is SopDocument:
        return [], False
    if model is DisputeEvent:
        return [(Dispute, Dispute.id == DisputeEvent.dispute_pk), (Customer, Customer.id == Dispute.customer_pk)], False
    return [(Customer, Customer.id == model.customer_pk)], model is InboundMessage


def _scope(model: Any, scope: CaseScope) -> Any:
    """Which rows the caller may see: SOPs everyone; disputes as the dispute pages show them (a stakeholder
    their team's); unlinked mail only those who see every account; everything else the accounts in scope."""
    if model is SopDocument:
        return true()
    if model in (Dispute, DisputeEvent):
        cond = scope.condition()
        return true() if cond is None else cond
    if scope.team is not None:  # a stakeholder: no portfolio
        return false()
    cond = scope.customers.condition()
    if model is InboundMessage:
        return true() if cond is None else and_(InboundMessage.customer_pk.isnot(None), cond)
    return true() if cond is None else cond


def _filters(source: Source, kinds: set[str], customer_pk: int | None, date_from: dt.date | None,
             date_to: dt.date | None) -> list[Any]:
    model, out = source.model, []
    if model is Activity:
        out.append(Activity.note.isnot(None))
        out.append(Activity.kind != "dispute")  # a dispute's own line on the timeline: the dispute is found itself
        if kinds >= {"note", "call"}:
            pass
        elif "call" in kinds:
            out.append(Activity.kind == "call")
        else:
            out.append(Activity.kind != "call")
    if model is DisputeEvent:
        out.append(DisputeEvent.text.isnot(None))
    if customer_pk is not None:
        out.append(Customer.id == customer_pk if model is not SopDocument else false())
    if date_from or date_to:
        if source.date is None:
            out.append(false())  # accounts have no date: a date range asks for dated records
        else:
            is_time = isinstance(source.date.type, UTCDateTime)
            if date_from:
                lo = dt.datetime.combine(date_from, dt.time(), dt.timezone.utc) if is_time else date_from
                out.append(source.date >= lo)
            if date_to:
                hi = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.timezone.utc) if is_time \
                    else date_to
                out.append(source.date < hi if is_time else source.date <= hi)
    return out


def _query(session: Session, source: Source, n: int, q: T.Query, *, scope: CaseScope, kinds: set[str],
           customer_pk: int | None, date_from: dt.date | None, date_to: dt.date | None, limit: int) -> list[Any]:
    dialect = session.get_bind().dialect.name
    model = source.model
    joins, cond, rank = _match(dialect, model, q, n)
    cust_joins, outer = _customer_join(model)
    where = [cond, _scope(model, scope), *_filters(source, kinds, customer_pk, date_from, date_to)]
    cust = [Customer.customer_id, Customer.name] if model is not SopDocument else [literal_column("NULL"), literal_column("NULL")]

    def joined(stmt: Any) -> Any:
        stmt = stmt.select_from(model)
        for target, on in joins:
            stmt = stmt.join(target, on)
        for target, on in cust_joins:
            stmt = stmt.join(target, on, isouter=outer)
        return stmt

    if dialect == "sqlite":
        stmt = joined(select(model, rank.label("rank"), *cust)).options(_only(model))
        return list(session.execute(stmt.where(*where).order_by(literal_column("rank").desc()).limit(limit)))
    ids = joined(select(model.id)).where(*where).limit(PG_CANDIDATES).subquery()
    stmt = joined(select(model, rank.label("rank"), *cust).join(ids, ids.c.id == model.id)).options(_only(model))
    return list(session.execute(stmt.order_by(literal_column("rank").desc()).limit(limit)))


def _exact(session: Session, q: T.Query, scope: CaseScope, kinds: set[str], customer_pk: int | None) -> dict[tuple[str, str], Any]:
    """Invoices and accounts whose number is what was typed (as typed, upper or lower case) — shown first."""
    if not q.ids or scope.team is not None:
        return {}
    keys = sorted({v for i in q.ids for v in (i, i.upper(), i.lower())})
    found: dict[tuple[str, str], Any] = {}
    cond = scope.customers.condition()
    extra = [Customer.id == customer_pk] if customer_pk is not None else []
    if "invoice" in kinds:
        stmt = select(Invoice, Customer.customer_id, Customer.name).join(Customer, Customer.id == Invoice.customer_pk) \
            .where(Invoice.invoice_id.in_(keys), *extra).options(_only(Invoice))
        for row in session.execute(stmt if cond is None else stmt.where(cond)):
            found[("invoice", row[0].invoice_id)] = row
    if "account" in kinds:
        stmt = select(Customer, Customer.customer_id, Customer.name).where(Customer.customer_id.in_(keys), *extra) \
            .options(_only(Customer))
        for row in session.execute(stmt if cond is None else stmt.where(cond)):
            found[("account", row[0].customer_id)] = row
    return found


def _key(source: Source, rec: Any) -> str:
    if source.model is Customer:
        return rec.customer_id
    if source.model is Invoice:
        return rec.invoice_id
    if source.model is OutboxMessage:
        return f"out-{rec.id}"
    if source.model is InboundMessage:
        return f"in-{rec.id}"
    return str(rec.dispute_pk if source.model is DisputeEvent else rec.id)


def _url(source: Source, rec: Any, customer_id: str | None) -> str:
    from urllib.parse import quote

    if source.model in (Dispute, DisputeEvent):
        return f"/disputes/{rec.dispute_pk if source.model is DisputeEvent else rec.id}"
    if source.model is SopDocument:
        return f"/sops/{rec.id}"
    if customer_id is None:
        return "/inbound/triage"
    return f"/customers/{quote(customer_id, safe='')}"


def _date(source: Source, rec: Any) -> str | None:
    value = getattr(rec, source.date.key) if source.date is not None else None
    if source.model is OutboxMessage:
        value = rec.sent_at or rec.created_at
    if source.model is InboundMessage:
        value = rec.sent_at or rec.fetched_at
    return value.isoformat() if value is not None else None


def _result(source: Source, row: Any, q: T.Query, exact: bool) -> dict[str, Any]:
    rec, rank, customer_id, customer_name = row[0], (row[1] if len(row) == 4 else 0.0), row[-2], row[-1]
    kind = source.kind
    if source.model is Activity and rec.kind == "call":
        kind = "call"
    parts = source.title(rec)
    title = "".join(t for t, _ in parts)
    title_html = "".join(T.mark(t, q) if data else escape(t) for t, data in parts)
    texts = [getattr(rec, c) for c in source.body]
    body = next((t for t in texts if T.matched(t, q)), texts[0])
    return {"kind": kind, "id": _key(source, rec), "title": title, "title_html": title_html,
            "snippet": T.highlight(body, q), "customer_id": customer_id, "customer_name": customer_name,
            "date": _date(source, rec), "url": _url(source, rec, customer_id), "exact": exact,
            "score": round(float(rank or 0.0), 6), "_title_hit": _holds_every_word(" ".join(t for t, data in parts if data), q)}


def _holds_every_word(title: str, q: T.Query) -> bool:
    have = T.words(title)
    return all(any(x == w or (len(w) > 1 and x.startswith(w)) for x in have) for t in q.terms for w in t)


def search(ctx: Context, *, query: str, kinds: Sequence[str] | None = None, customer_id: str | None = None,
           date_from: dt.date | None = None, date_to: dt.date | None = None, scope: CaseScope = ALL_CASES,
           limit: int = 50) -> dict[str, Any]:
    """``{"query", "terms", "total", "results": [...], "groups": {kind: count}}``, best first: the exact invoice
    or customer number typed, then records whose title holds every word, then by relevance and date."""
    if query is not None and len(query) > T.MAX_QUERY_CHARS:
        raise InvalidInput(f"q: at most {T.MAX_QUERY_CHARS} characters")
    wanted = set(kinds or KINDS)
    unknown = sorted(wanted - set(KINDS))
    if unknown:
        raise InvalidInput(f"kind: unknown {', '.join(unknown)} (one of {', '.join(KINDS)})")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit: between 1 and {MAX_LIMIT}")
    q = T.parse(query or "")
    out: dict[str, Any] = {"query": query or "", "terms": [" ".join(t) for t in q.terms], "total": 0,
                           "results": [], "groups": {}}
    if q.empty or (date_from and date_to and date_from > date_to):  # a range with no day in it finds nothing
        return out
    with ctx.sessions() as session:
        customer_pk = None
        if customer_id:
            customer_pk = ledger.scoped_customer(session, scope.customers if scope.team is None else
                                                 ledger.CustomerScope(), customer_id).id
        exact = _exact(session, q, scope, wanted, customer_pk) if not (date_from or date_to) else {}
        results: list[dict[str, Any]] = []
        for n, source in enumerate(SOURCES):
            if source.kind not in wanted and not (source.model is Activity and "call" in wanted):
                continue
            rows = _query(session, source, n, q, scope=scope, kinds=wanted, customer_pk=customer_pk,
                          date_from=date_from, date_to=date_to, limit=limit)
            for row in rows:
                key = (source.kind, _key(source, row[0]))
                results.append(_result(source, row, q, exact=exact.pop(key, None) is not None))
        for (kind, _), row in exact.items():  # typed exactly but not found by words (a number with odd signs)
            source = next(s for s in SOURCES if s.kind == kind)
            results.append(_result(source, row, q, exact=True))
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:  # a dispute found by its note and by a comment: once
        k = (r["kind"], r["id"])
        if k not in best or r["score"] > best[k]["score"]:
            best[k] = r
    ranked = sorted(best.values(), key=lambda r: (not r["exact"], not r["_title_hit"], -r["score"], _neg_date(r["date"])))
    for r in ranked:
        del r["_title_hit"]
    out["total"] = len(ranked)
    out["results"] = ranked[:limit]
    for r in out["results"]:
        out["groups"][r["kind"]] = out["groups"].get(r["kind"], 0) + 1
    return out


def _neg_date(value: str | None) -> str:
    """Newest first as a sort key on ISO strings (empty last)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in value) if value else "\U0010ffff"


def reindex(ctx: Context) -> dict[str, Any]:
    """Rebuild the full-text index from the rows (and recreate SQLite's triggers if a migration dropped them)."""
    with ctx.engine.begin() as connection:
        counts = I.rebuild(connection)
    return {"dialect": ctx.engine.dialect.name, "tables": counts}


def index_problems(ctx: Context) -> list[str]:
    with ctx.engine.connect() as connection:
        return I.missing(connection)
