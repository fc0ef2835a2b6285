"""The assistant's service: ``triage`` reads one raw customer email as if it had arrived in the mailbox,
links it to an account the way inbound mail does, reads its intent and facts offline and proposes the actions
a collector would take (CONTRACT §11). It records nothing: every action waits for a person to approve it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from arcollect.assistant import answers, approvals, auto_rules, clean, draft_queue, language, proposals, providers, refine
from arcollect.assistant.masking import Masker
from arcollect.calendar import zone
from arcollect.cashapp import remittance as R
from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.ledger.open_items import open_items_by_customer
from arcollect.outreach import inbound, mailbox
from arcollect.outreach.models import InboundMessage

MAX_RAW = 2_000_000


def _account(session: Any, parsed: inbound.Parsed, text: str, quoted: str,
             scope: ledger.CustomerScope, linked: tuple[int, str | None] | None = None) -> tuple[Customer | None, str | None]:
    """The customer the mail is about and why: as inbound mail links it (thread, sender, domain, invoice
    numbers) — or as it was linked when fetched (``linked``) —, then our dunning reference or a customer number
    the mail quotes. Outside the caller's scope: none."""
    customer_pk, _, why = (linked[0], None, linked[1]) if linked else mailbox.link_message(session, parsed)
    customer = session.get(Customer, customer_pk) if customer_pk else None
    if customer is None:
        rem = R.read([parsed.subject, text, quoted])
        for c in rem.of("dunning", "customer"):
            found = session.scalar(select(Customer).where(func.upper(Customer.customer_id) == c.number.upper()))
            if found is not None:
                customer, why = found, ("dunning reference" if c.kind == "dunning" else "customer number") + f" {c.evidence}"
                break
    if customer is None:
        return None, None
    try:
        ledger.scoped_customer(session, scope, customer.customer_id)
    except NotFound:
        return None, None
    return customer, why


def masker_for(ctx: Context, session: Any, customer: Customer | None, *extra: str | None) -> Masker:
    """The masker of a request about this account: its contacts' names and ``extra`` names (the sender's)."""
    names: list[str | None] = list(extra)
    if customer is not None:
        names += list(session.scalars(select(Contact.name).where(Contact.customer_pk == customer.id)))
    return Masker.for_names(names, enabled=ctx.settings.llm_mask)


def _model_reading(provider: providers.Provider, text: str, subject: str, as_of: Any,
                   masker: Masker) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the model's validated reading or None, what to show about it: provider, used, fallback, masked)."""
    info: dict[str, Any] = {"provider": provider.name, "used": False, "fallback": None}
    if not provider.enabled:
        return None, info
    try:
        reading = refine.triage(provider, text=text, subject=subject, as_of=as_of, masker=masker)
    except providers.ProviderError as exc:
        info["fallback"] = f"offline result kept: {exc}"
        return None, {**info, "masked": masker.summary()}
    return reading, {**info, "used": True, "masked": masker.summary()}


def triage(ctx: Context, *, raw: bytes, scope: ledger.CustomerScope = ledger.EVERYTHING,
           linked: tuple[int, str | None] | None = None,
           provider: providers.Provider | None = None) -> dict[str, Any]:
    """CONTRACT §11: ``{"customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions",
    "evidence"}`` (plus ``language``, ``link``, ``facts`` and ``llm`` for people). Writes nothing to the
    database. With a language model configured (or ``provider`` given) its validated reading replaces the
    offline one; when it fails, the offline result stands and ``llm.fallback`` says why."""
    if not raw or not raw.strip():
        raise InvalidInput("the email is empty")
    if len(raw) > MAX_RAW:
        raise InvalidInput(f"the email is larger than {MAX_RAW} bytes")
    parsed = inbound.parse(raw)
    text = clean.reply_text(text=parsed.text, html=parsed.html)
    quoted = clean.quoted_text(text=parsed.text, html=parsed.html)
    with ctx.sessions() as session:
        customer, why = _account(session, parsed, text, quoted, scope, linked)
        tz = zone(customer.timezone if customer else None)
        written = parsed.sent_at or ctx.clock.now()
        as_of = written.astimezone(tz).date()
        month_first = bool(customer and (customer.country or "").upper() in ("US", "PH", "CA", "FM"))
        known: list[str] | None = None
        open_items: list[dict[str, Any]] = []
        if customer is not None:
            known = list(session.scalars(select(Invoice.invoice_id).where(Invoice.customer_pk == customer.id)))
            open_items = open_items_by_customer(session, customer_pks=[customer.id], as_of=as_of).get(customer.id, [])
        masker = masker_for(ctx, session, customer, parsed.from_name)
    llm = provider or providers.from_settings(ctx.settings)
    reading, llm_info = _model_reading(llm, text, parsed.subject or "", as_of, masker)
    result = proposals.read(text, subject=parsed.subject, as_of=as_of, auto_reply=parsed.kind == "auto_reply",
                            sender=parsed.from_addr, known_invoices=known, open_items=open_items,
                            currency=customer.currency if customer else None, month_first=month_first,
                            override=reading)
    lang = language.base(customer.language if customer else None)
    result.update({"customer_id": customer.customer_id if customer else None,
                   "language": language.detect(text, default=lang or "en"),
                   "link": why, "as_of": as_of.isoformat(), "text": text[:4000], "llm": llm_info})
    return {k: result[k] for k in ("customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions",
                                   "evidence", "language", "link", "as_of", "facts", "text", "llm")}




# ---- proposals: kept, queued, decided (assistant/approvals.py) ------------------------------------------


def triage_inbound(ctx: Context, *, message_pk: int) -> dict[str, Any]:
    """A fetched reply (``mail fetch`` calls this once it is stored): its triage and proposed actions kept for a
    person to approve — nothing else changes — then the proposals an admin's auto-approval rule covers are
    carried out. Bounces are not triaged."""
    with ctx.sessions() as session:
        m = session.get(InboundMessage, message_pk)
        if m is None:
            raise NotFound(f"inbound message {message_pk} not found")
        if m.kind == "bounce":
            return {"proposals": 0}
        raw, linked = m.raw, ((m.customer_pk, m.match_reason) if m.customer_pk else None)
        on_timeline = m.status == "linked"
    reading = triage(ctx, raw=raw, linked=linked)
    keys = approvals.store(ctx, message_pk=message_pk, reading=reading, on_timeline=on_timeline)
    return {"proposals": len(keys), **approvals.auto_approve(ctx, proposal_pks=keys)}


def retriage_linked(ctx: Context, *, message_pk: int) -> dict[str, Any]:
    """A reply a person just linked to an account (``mail link``/the triage queue): read again against that
    account's documents — its proposals created now, the auto-approval rules applied — when its first reading
    had no account (or another one). A reply already read against this account is left as it is."""
    with ctx.sessions() as session:
        m = session.get(InboundMessage, message_pk)
        if m is None:
            raise NotFound(f"inbound message {message_pk} not found")
        if m.kind == "bounce" or m.customer_pk is None:
            return {"proposals": 0}
        raw, linked = m.raw, (m.customer_pk, m.match_reason)
    reading = triage(ctx, raw=raw, linked=linked)
    keys = approvals.store(ctx, message_pk=message_pk, reading=reading, on_timeline=True, relinked=True)
    return {"proposals": len(keys), **approvals.auto_approve(ctx, proposal_pks=keys)}


def approve(ctx: Context, *, proposal_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING,
            changes: dict[str, Any] | None = None, permissions: frozenset[str] | None = None) -> dict[str, Any]:
    """Carry out a proposal (with a person's ``changes`` first: edit and approve); audited with its evidence."""
    return approvals.decide(ctx, proposal_id=proposal_id, approve=True, changes=changes, scope=scope,
                            permissions=permissions)


def reject(ctx: Context, *, proposal_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING,
           note: str | None = None) -> dict[str, Any]:
    """Turn a proposal down: nothing is done; audited with its evidence (and the note)."""
    return approvals.decide(ctx, proposal_id=proposal_id, approve=False, note=note, scope=scope)


def list_proposals(ctx: Context, *, scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None,
              status: str | None = "proposed", limit: int = 200) -> list[dict[str, Any]]:
    return approvals.proposals(ctx, scope=scope, customer_id=customer_id, status=status, limit=limit)


def queue(ctx: Context, *, scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None,
          limit: int = 100) -> list[dict[str, Any]]:
    return approvals.queue(ctx, scope=scope, customer_id=customer_id, limit=limit)
def draft(ctx: Context, *, raw: bytes, kind: str | None = None, tone: str | None = None,
          dispute_id: str | None = None, scope: ledger.CustomerScope = ledger.EVERYTHING,
          provider: providers.Provider | None = None) -> dict[str, Any]:
    """The reply to one customer email, drafted from its triage and queued in the outbox awaiting approval:
    ``{"id", "customer_id", "status", "kind", "language", "to", "subject", "text", "attachment", "llm"}``.
    ``kind`` defaults from the intent (promise → confirm_promise, dispute → acknowledge_dispute, invoice copy
    → invoice_copy); ``tone`` from the account's last dunning message."""
    llm = provider or providers.from_settings(ctx.settings)
    result = triage(ctx, raw=raw, scope=scope, provider=llm)
    parsed = inbound.parse(raw)
    with ctx.sessions() as session:
        customer = session.scalar(select(Customer).where(Customer.customer_id == result["customer_id"])) \
            if result["customer_id"] else None
        masker = masker_for(ctx, session, customer, parsed.from_name)
    return draft_queue.queue(ctx, triage=result, reply_to=parsed.from_addr, reply_message_id=parsed.message_id,
                             subject=parsed.subject or "", sender_name=parsed.from_name, kind=kind, tone=tone,
                             dispute_id=dispute_id, scope=scope, provider=llm, masker=masker)


def edit_draft(ctx: Context, *, message_id: str, subject: str | None = None, text: str | None = None,
               scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """The collector's edit of a draft awaiting approval (then ``outbox approve`` sends it on its way)."""
    return draft_queue.edit(ctx, message_id=message_id, subject=subject, text=text, scope=scope)


def ask(ctx: Context, *, question: str, scope: Any = None, provider: providers.Provider | None = None,
        words_only: bool = False, limit: int = 50, **search_filters: Any) -> dict[str, Any]:
    """Ask: ``{"question", "answer": {...} | None, "fallback": why the model was not used | None, "search"}``.
    The plain search always runs (exactly as without a model); with a model configured and ``words_only`` off,
    the agent (``ask_agent``) answers the question too. The question, the tools called and the answer are
    audited."""
    from arcollect import audit
    from arcollect.assistant import ask_agent, search
    from arcollect.disputes.scope import ALL_CASES

    scope = scope or ALL_CASES
    found = search.search(ctx, query=question, scope=scope, limit=limit, **search_filters)
    out: dict[str, Any] = {"question": question, "answer": None, "fallback": None, "search": found}
    provider = provider or providers.from_settings(ctx.settings)
    if words_only or not provider.enabled or not question.strip():
        return out
    try:
        out["answer"] = ask_agent.answer(ctx, question=question, scope=scope, provider=provider)
    except providers.ProviderError as exc:
        out["fallback"] = f"{provider.name}: {exc}; the search results are shown instead"
    a = out["answer"] or {}
    with ctx.unit_of_work() as session:
        audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="ask", entity="assistant",
                     entity_key="ask", changes={"question": question, "model": provider.name,
                                                "tool_calls": a.get("tool_calls", []), "answer": a.get("text"),
                                                "citations": [f"{c['kind']}:{c['id']}" for c in a.get("citations", [])],
                                                "stopped": a.get("stopped"), "fallback": out["fallback"]})
    return out


# ---- the assistant's settings (admins): auto-approval rules (auto_rules.py), the knowledge base's answers ------
auto_approval_rules = auto_rules.list_rules
set_auto_approval = auto_rules.set_rule
reset_auto_approval = auto_rules.reset_rule
list_answers = answers.list_answers
add_answer = answers.add_answer
delete_answer = answers.delete_answer
