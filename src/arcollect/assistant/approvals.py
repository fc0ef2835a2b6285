"""The assistant's proposals kept and decided: a fetched reply's triage stored with its proposals (nothing
else changes), the queue of what waits for a person, and approve / edit-and-approve / reject — each decision
and each automatic approval audited with the evidence. An approval carries the action out in one transaction
with the decision (``execute``); when that is refused nothing changes and the proposal stays open with the
error."""

from __future__ import annotations

import logging
from typing import Any, Mapping

from sqlalchemy import select

from arcollect import audit
from arcollect.assistant import agent, auto_rules, execute
from arcollect.assistant.agent_models import AssistantProposal, AssistantTriage
from arcollect.auth.permissions import DISPUTE, EDIT_CUSTOMER, WORK
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.errors import ArcollectError, Conflict, NotFound, PermissionDenied
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.outreach.models import InboundMessage

log = logging.getLogger(__name__)
AUTO_ACTOR = "assistant (auto-approved)"
RETRIAGE_ACTOR = "assistant (read again after linking)"
# what a person needs besides collections work to approve a kind
NEEDS: dict[str, str] = {"open_dispute": DISPUTE, "update_contact": EDIT_CUSTOMER}


def store(ctx: Context, *, message_pk: int, reading: Mapping[str, Any], on_timeline: bool,
          relinked: bool = False) -> list[int]:
    """Keep a message's triage and its proposals (audited ``propose`` with the evidence); a message already
    triaged keeps its first triage — unless ``relinked``: a person linked it to an account the first reading
    did not have (none, or another), and the reading against that account's documents replaces the first one
    (audited ``retriage``; the first reading's open proposals are rejected as superseded). Returns the new
    proposals' keys."""
    now = ctx.clock.now()
    cid = reading.get("customer_id")
    with ctx.unit_of_work() as session:
        customer_pk = session.scalar(select(Customer.id).where(Customer.customer_id == cid)) if cid else None
        triage = session.scalar(select(AssistantTriage).where(AssistantTriage.message_pk == message_pk))
        if triage is not None and relinked and customer_pk is not None and triage.customer_pk == customer_pk:
            _supersede(session, triage, now, kinds=("log_reply",))  # the person's link put it on the timeline
            return []
        if triage is not None and not (relinked and customer_pk is not None):
            return []
        if triage is None:
            triage = AssistantTriage(message_pk=message_pk, customer_pk=customer_pk, intent=reading["intent"],
                                     confidence=float(reading["confidence"]), language=reading.get("language"),
                                     reading=dict(reading), created_at=now)
            session.add(triage)
        else:
            _supersede(session, triage, now)
            audit.record(session, at=now, actor=ctx.actor, action="retriage", entity="assistant_triage",
                         entity_key=str(triage.id), changes={"message": message_pk, "customer": [
                             (triage.reading or {}).get("customer_id"), cid], "intent": [triage.intent, reading["intent"]]})
            triage.customer_pk, triage.intent, triage.confidence = customer_pk, reading["intent"], float(reading["confidence"])
            triage.language, triage.reading, triage.created_at = reading.get("language"), dict(reading), now
        session.flush()
        keys = []
        for p in agent.plan(reading, on_timeline=on_timeline):
            row = AssistantProposal(triage_pk=triage.id, customer_pk=customer_pk, kind=p["kind"], payload=p["payload"],
                                    evidence=p["evidence"], confidence=p["confidence"], status="proposed",
                                    proposed_at=now)
            session.add(row)
            session.flush()
            keys.append(row.id)
            audit.record(session, at=now, actor="assistant", action="propose", entity="assistant_proposal",
                         entity_key=str(row.id), changes={"kind": p["kind"], "payload": p["payload"], "customer": cid,
                                                          "message": message_pk, "intent": reading["intent"],
                                                          "evidence": p["evidence"], "confidence": p["confidence"]})
        return keys


def _supersede(session: Any, triage: AssistantTriage, now: Any, kinds: tuple[str, ...] | None = None) -> None:
    """The open proposals (of ``kinds``) a person's link made moot: rejected (audited), never carried out."""
    for p in session.scalars(select(AssistantProposal).where(AssistantProposal.triage_pk == triage.id,
                                                             AssistantProposal.status == "proposed")):
        if kinds is not None and p.kind not in kinds:
            continue
        p.status, p.decided_by, p.decided_at = "rejected", RETRIAGE_ACTOR, now
        audit.record(session, at=now, actor=RETRIAGE_ACTOR, action="reject", entity="assistant_proposal",
                     entity_key=str(p.id), changes={"kind": p.kind, "note": "superseded: read again after linking",
                                                    "evidence": p.evidence})


def auto_approve(ctx: Context, *, proposal_pks: list[int]) -> dict[str, int]:
    """Approve at once the proposals an admin's rule covers (the stored rules over the ``assistant_auto_approve``
    setting: ``auto_rules.effective``), read at each triage; one refused stays open with its error like any
    refused approval."""
    rules = auto_rules.effective(ctx)
    counts = {"auto": 0, "auto_failed": 0}
    if not rules:
        return counts
    with ctx.sessions() as session:
        rows = session.execute(select(AssistantProposal.id, AssistantProposal.kind, AssistantProposal.confidence)
                               .where(AssistantProposal.id.in_(proposal_pks))).all()
    for pk, kind, confidence in rows:
        if agent.auto_approves(kind, confidence, rules):
            try:
                decide(ctx.acting_as(AUTO_ACTOR), proposal_id=str(pk), approve=True, auto=True)
                counts["auto"] += 1
            except ArcollectError:
                counts["auto_failed"] += 1
    return counts


def _scoped(session: Any, scope: ledger.CustomerScope, proposal_id: str) -> tuple[AssistantProposal, Customer | None]:
    pk = parse_pk(proposal_id)
    p = None if pk is None else session.get(AssistantProposal, pk)
    if p is None:
        raise NotFound(f"proposal {proposal_id!r} not found")
    customer = session.get(Customer, p.customer_pk) if p.customer_pk else None
    if customer is None and not scope.everything:
        raise NotFound(f"proposal {proposal_id!r} not found")
    if customer is not None:
        try:
            ledger.scoped_customer(session, scope, customer.customer_id)
        except NotFound:
            raise NotFound(f"proposal {proposal_id!r} not found") from None
    return p, customer


def decide(ctx: Context, *, proposal_id: str, approve: bool, changes: Mapping[str, Any] | None = None,
           note: str | None = None, scope: ledger.CustomerScope = ledger.EVERYTHING,
           permissions: frozenset[str] | None = None, auto: bool = False) -> dict[str, Any]:
    """Approve (carry out, with ``changes`` first when given: "edited"), or reject a proposal. Only a proposal
    still open is decided (Conflict otherwise). A refused execution leaves everything as before; the proposal
    stays open with the error, which is raised."""
    from arcollect.disputes import service as disputes

    now = ctx.clock.now()
    stage = "check"
    try:
        with ctx.unit_of_work() as session:
            p, customer = _scoped(session, scope, proposal_id)
            if p.status != "proposed":
                raise Conflict(f"proposal {p.id} is already {p.status} (by {p.decided_by})")
            need = NEEDS.get(p.kind, WORK)
            if permissions is not None and not {WORK, need} <= permissions:
                raise PermissionDenied(f"approving “{agent.KINDS[p.kind]}” needs the right to "
                                       f"{'open or move disputes' if need == DISPUTE else 'change contact details' if need == EDIT_CUSTOMER else 'work accounts'}")
            triage = session.get(AssistantTriage, p.triage_pk)
            message = session.get(InboundMessage, triage.message_pk) if triage.message_pk else None
            payload = dict(p.payload)
            stage = "run"  # from here a refusal is the action's: kept on the proposal
            if changes:
                payload = agent.edited(p.kind, payload, changes, reasons=list(disputes.reasons(ctx)))
            trail = {"kind": p.kind, "payload": payload, "evidence": p.evidence, "confidence": p.confidence,
                     "customer": customer.customer_id if customer else None, "message": triage.message_pk}
            if not approve:
                p.status, p.decided_by, p.decided_at, p.error = "rejected", ctx.actor, now, None
                audit.record(session, at=now, actor=ctx.actor, action="reject", entity="assistant_proposal",
                             entity_key=str(p.id), changes={**trail, "note": (note or "").strip()[:500] or None})
                return view(p, customer.customer_id if customer else None, customer.currency if customer else None)
            result = execute.run(execute.joined(ctx, session), kind=p.kind, payload=payload,
                                 customer_id=customer.customer_id if customer else None,
                                 message_pk=triage.message_pk, proposal_pk=p.id,
                                 subject=(message.subject if message else "") or "", sender=message.from_addr if message else None,
                                 scope=scope)
            if changes:
                p.original, p.payload = dict(p.payload), payload
            p.status = "auto" if auto else "edited" if changes else "approved"
            p.decided_by, p.decided_at, p.result, p.error = ctx.actor, now, result, None
            audit.record(session, at=now, actor=ctx.actor, entity="assistant_proposal", entity_key=str(p.id),
                         action={"auto": "auto_approve", "edited": "edit_approve"}.get(p.status, "approve"),
                         changes={**trail, "original": p.original, "result": result})
            return view(p, customer.customer_id if customer else None, customer.currency if customer else None)
    except ArcollectError as exc:
        if stage == "run":
            _failed(ctx, proposal_id, exc)
        raise


def _failed(ctx: Context, proposal_id: str, exc: ArcollectError) -> None:
    """The refusal kept on the still-open proposal (and audited), in a transaction of its own."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        p = session.get(AssistantProposal, parse_pk(proposal_id))
        if p is None or p.status != "proposed":
            return
        p.error = str(exc)[:2000]
        audit.record(session, at=now, actor=ctx.actor, action="approve_failed", entity="assistant_proposal",
                     entity_key=str(p.id), changes={"kind": p.kind, "error": p.error, "evidence": p.evidence})
    log.info("assistant proposal %s not carried out: %s", proposal_id, type(exc).__name__)


def view(p: AssistantProposal, customer_id: str | None, currency: str | None = None) -> dict[str, Any]:
    return {"id": str(p.id), "triage_id": str(p.triage_pk), "customer_id": customer_id, "currency": currency,
            "kind": p.kind, "label": agent.KINDS.get(p.kind, p.kind),
            "payload": dict(p.payload), "evidence": list(p.evidence or []), "confidence": p.confidence,
            "status": p.status, "proposed_at": p.proposed_at, "decided_by": p.decided_by, "decided_at": p.decided_at,
            "original": p.original, "result": p.result, "error": p.error, "editable": list(agent.EDITABLE.get(p.kind, ()))}


def proposals(ctx: Context, *, scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None,
              status: str | None = "proposed", limit: int = 200) -> list[dict[str, Any]]:
    """Proposals (open ones by default) the caller may see, newest first."""
    with ctx.sessions() as session:
        stmt = (select(AssistantProposal, Customer.customer_id, Customer.currency)
                .outerjoin(Customer, Customer.id == AssistantProposal.customer_pk)
                .order_by(AssistantProposal.id.desc()).limit(limit))
        if status:
            stmt = stmt.where(AssistantProposal.status == status)
        if customer_id is not None:
            stmt = stmt.where(AssistantProposal.customer_pk == ledger.scoped_customer(session, scope, customer_id).id)
        elif not scope.everything:
            stmt = stmt.where(scope.condition())
        return [view(p, cid, cur) for p, cid, cur in session.execute(stmt).all()]


def queue(ctx: Context, *, scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None,
          limit: int = 100) -> list[dict[str, Any]]:
    """The triaged replies with proposals still open, newest first: each with its reading (intent, facts with
    evidence), its text cut for highlighting, and its open proposals."""
    open_ = proposals(ctx, scope=scope, customer_id=customer_id, limit=limit * 8)
    by_triage: dict[int, list[dict[str, Any]]] = {}
    for p in open_:
        by_triage.setdefault(int(p["triage_id"]), []).append(p)
    with ctx.sessions() as session:
        out = []
        for tpk in sorted(by_triage, reverse=True)[:limit]:
            t = session.get(AssistantTriage, tpk)
            m = session.get(InboundMessage, t.message_pk) if t.message_pk else None
            reading = dict(t.reading or {})
            evidence = [e for p in by_triage[tpk] for e in p["evidence"]] + list(reading.get("evidence") or [])
            text = reading.get("text") or (m.body_text if m else "") or ""
            out.append({"triage_id": str(t.id), "customer_id": reading.get("customer_id"), "intent": t.intent,
                        "intent_words": agent.INTENT_WORDS.get(t.intent, t.intent), "invoices": reading.get("invoices") or [],
                        "confidence": t.confidence, "language": t.language, "facts": reading.get("facts") or {},
                        "from": m.from_addr if m else None, "subject": m.subject if m else None,
                        "received": m.fetched_at if m else t.created_at, "message_id": str(m.id) if m else None,
                        "pieces": agent.highlight(text, evidence), "proposals": sorted(by_triage[tpk], key=lambda p: int(p["id"]))})
    return out
