"""The incremental daily run: which accounts the playbook must evaluate today, and what to remember.

Every account's inputs are read as before (open items and unapplied cash as of the day, past actions,
promise states, contact history, invoiced amount, late chances, its own fields and flags); what the engine
and the priority score see is digested into a **stamp**. After an evaluation the stamp of the account *as
the run leaves it* (its own proposals added, stale actions gone, narrowed ones narrowed) is stored with the
account's **next interesting date**. A later run evaluates an account only when

* its stamp differs (a payment, an application, an import, a promise, a dispute, a call, a flag, a contact,
  an action closed by a person, an escalation's action … — whatever writer changed it), or
* the playbook version differs, or
* the day is not the one it was evaluated for and its next interesting date has come.

(An evaluation that cancels actions decides as if they were gone already — the engine leaves them out of
the history — so the stamp of the account as the run leaves it stands for a second run too.)

The stamp digests the engine's inputs themselves, so no writer needs to mark anything. The next interesting
date is conservative: an account whose result may depend on the date (anything past due or soon due, open
actions, promises, follow-ups, a contact history, unapplied cash) is due again the next day; only an account
that is quiet until a threshold date (its items not due yet, nothing else going on) or entirely quiet
(nothing open) waits. A skipped account keeps its worklist entry (carried forward to the day).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arcollect.db import bulk_insert
from arcollect.playbook import evaluate as E
from arcollect.playbook.rules import Playbook
from arcollect.worklist.models import EvaluationState, WorklistEntry

CHUNK = 5000


def _sorted(values: Iterable[Any]) -> tuple:
    return tuple(sorted(values))


def stamp(account: E.Account, actions: Iterable[tuple], today_steps: Iterable[str],
          promised: Sequence[Mapping[str, Any]], contact: Mapping[str, Any], invoiced: Any,
          chances: Mapping[str, float] | None, version: int) -> str:
    """Digest of what the engine and the score read for one account (action ids left out: an action is
    known by its step and day). Values as read (Decimals, dates): their repr is deterministic."""
    a = account
    fields = (a.customer_pk, a.customer_id, a.currency, _sorted(a.items), _sorted(a.unapplied.items()), a.collector,
              a.team, a.segment, a.country, a.timezone, a.risk, a.credit_limit, a.do_not_contact, a.credit_hold,
              _sorted(a.custom.items()))
    acts = _sorted((x[0], x[1], x[2], _sorted(x[3]), bool(x[4])) for x in actions)
    proms = _sorted(repr(_sorted((k, _sorted(v) if isinstance(v, frozenset) else v) for k, v in p.items()))
                    for p in promised)
    mine = None if chances is None else tuple(chances.get(i.invoice_id) for i in a.items)
    parts = (version, fields, acts, _sorted(set(today_steps)), proms, _sorted(contact.items()), invoiced, mine)
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def history_rows(history: E.History) -> list[tuple]:
    return [(a.step, a.channel, a.proposed_on, a.invoices, a.open) for a in history.actions]


def after_run(history: E.History, outcome: E.Outcome, inserted: Sequence[E.Proposal], as_of: dt.date,
              today_steps: set[str]) -> tuple[list[tuple], set[str]]:
    """The account's past actions and today's steps as the run leaves them in the database."""
    stale = {aid for aid, _ in outcome.stale}
    narrowed = {aid: invoices for aid, invoices, _ in outcome.narrowed}
    rows, steps = [], set(today_steps)
    for a in history.actions:
        if a.id in stale and a.open:
            if a.proposed_on == as_of:
                steps.add(a.step)  # cancelled today: still blocks the step today
            continue
        invoices = frozenset(narrowed[a.id]) if a.open and a.id in narrowed else a.invoices
        rows.append((a.step, a.channel, a.proposed_on, invoices, a.open))
    for p in inserted:
        rows.append((p.step, p.channel, as_of, frozenset(p.invoices), True))
        steps.add(p.step)
    return rows, steps


def threshold(playbook: Playbook) -> int:
    """The fewest days past due at which anything of the playbook can start (steps, segment conditions)."""
    days = [0]
    for seg in playbook.segments:
        days.extend(s.from_day for s in seg.steps)
        if seg.when.oldest_days_past_due_at_least is not None:
            days.append(seg.when.oldest_days_past_due_at_least)
    return min(days)


def next_on(engine: E.Engine, account: E.Account, history: E.History, actions: Sequence[tuple],
            promised: Sequence[Any], contact: Mapping[str, Any], first_day: int) -> dt.date | None:
    """The next day the account's result may differ with unchanged inputs (conservative)."""
    as_of = engine.as_of
    tomorrow = as_of + dt.timedelta(days=1)
    if (any(a[4] for a in actions) or promised or history.promises or any(v is not None for v in contact.values())
            or any(v > 0 for v in account.unapplied.values())):
        return tomorrow
    if not account.items:
        return None
    start = min(min(i.due_date, as_of - dt.timedelta(days=engine.days_past_due(i, account.country)))
                for i in account.items) + dt.timedelta(days=first_day)
    return max(start, tomorrow)


def load_states(session: Session, pks: Sequence[int]) -> dict[int, EvaluationState]:
    out: dict[int, EvaluationState] = {}
    for i in range(0, len(pks), CHUNK):
        for s in session.scalars(select(EvaluationState).where(EvaluationState.customer_pk.in_(pks[i:i + CHUNK]))):
            out[s.customer_pk] = s
    return out


def may_skip(state: EvaluationState | None, version: int, as_of: dt.date) -> bool:
    """Whether the account may be skipped if its stamp is unchanged (cheap checks before the digest)."""
    if state is None or state.playbook_version != version:
        return False
    if state.evaluated_on == as_of:
        return True
    return as_of > state.evaluated_on and (state.next_on is None or as_of < state.next_on)


def carry_entries(session: Session, states: Mapping[int, EvaluationState], pks: Sequence[int],
                  as_of: dt.date) -> None:
    """A skipped account keeps its place: its latest entry is copied to the day (if not there yet)."""
    moved = [pk for pk in pks if states[pk].entries_on != as_of]
    for i in range(0, len(moved), CHUNK):
        chunk = moved[i:i + CHUNK]
        rows = []
        for e in session.scalars(select(WorklistEntry).where(WorklistEntry.customer_pk.in_(chunk))
                                 .where(WorklistEntry.as_of.in_({states[pk].entries_on for pk in chunk}))):
            if e.as_of == states[e.customer_pk].entries_on:
                rows.append({"customer_pk": e.customer_pk, "as_of": as_of, "collector": e.collector,
                             "segment": e.segment, "priority": e.priority, "parts": e.parts, "notes": e.notes})
        session.execute(delete(WorklistEntry).where(WorklistEntry.as_of == as_of, WorklistEntry.customer_pk.in_(chunk)))
        bulk_insert(session, WorklistEntry.__table__, rows)
        for pk in chunk:
            states[pk].entries_on = as_of


def save_states(session: Session, rows: list[dict[str, Any]]) -> None:
    pks = [r["customer_pk"] for r in rows]
    for i in range(0, len(pks), CHUNK):
        session.execute(delete(EvaluationState).where(EvaluationState.customer_pk.in_(pks[i:i + CHUNK])))
    bulk_insert(session, EvaluationState.__table__, rows)


class Stopwatch:
    """Seconds per phase of a run, wall and this process's CPU (reported by the CLI's JSON and the benchmark)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._last, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.laps[name], self.cpu[name] = round(now - self._last, 3), round(cpu - self._cpu, 3)
        self._last, self._cpu = now, cpu
