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

The stamp digests the engine's inputs themselves, so no writer needs to mark anything. Two halves: the day
as the run leaves it (its steps of the day included: a same-day re-run), and the days after. The next
interesting date is exact: the next day is evaluated on the history as the run leaves it (``next_on``);
when it decides nothing and says the same, nothing moves before the first date of the playbook's
**horizon** — a window opening or closing, a cadence or a gap elapsed, a broken promise's look-back
over (a promise broken, a dispute resolved, an import … change the inputs, hence the stamp). A skipped
account of a later day gets its priority worked out afresh for the day (the score moves with the date),
with the segment and notes of that next-day evaluation (``outlook``); one skipped the same day keeps its entry.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import time
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from arcollect.db import bulk_insert
from arcollect.playbook import evaluate as E
from arcollect.playbook.rules import Playbook
from arcollect.worklist.models import EvaluationState

CHUNK = 5000


def _sorted(values: Iterable[Any]) -> tuple:
    return tuple(sorted(values))


def stamps(account: E.Account, actions: Iterable[tuple], today_steps: Iterable[str],
           promised: Sequence[Mapping[str, Any]], contact: Mapping[str, Any], invoiced: Any,
           chances: Mapping[str, float] | None, version: int) -> tuple[str, str]:
    """Digests of what the engine and the score read for one account (action ids left out: an action is
    known by its step and day), with the day's steps and without (the same when there are none). Values
    as read (Decimals, dates): their repr is deterministic."""
    a = account
    fields = (a.customer_pk, a.customer_id, a.currency, _sorted(map(tuple, a.items)), _sorted(a.unapplied.items()),
              a.collector, a.team, a.segment, a.country, a.timezone, a.risk, a.credit_limit, a.do_not_contact,
              a.credit_hold, _sorted(a.custom.items()))
    acts = _sorted((x[0], x[1], x[2], _sorted(x[3]), bool(x[4])) for x in actions)
    proms = _sorted(repr(_sorted((k, _sorted(v) if isinstance(v, frozenset) else v) for k, v in p.items()))
                    for p in promised)
    mine = None if chances is None else tuple(chances.get(i.invoice_id) for i in a.items)
    digest = hashlib.blake2b(repr((version, fields, acts, proms, _sorted(contact.items()), invoiced, mine)).encode(),
                             digest_size=8)
    without = digest.hexdigest()
    steps = _sorted(set(today_steps))
    if not steps:
        return without, without
    digest.update(repr(steps).encode())
    return digest.hexdigest(), without


def stamp(*args: Any) -> str:
    """The digest to compare with a stored one (``stamps``' first)."""
    return stamps(*args)[0]


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


class Horizon:
    """What of a playbook moves an unchanged account's result with the date: the days past due where a
    step's window opens or closes or a segment's condition starts, the steps' cadences, the gap between
    written reminders, the remittance requests' cadence, a broken promise's look-back."""

    def __init__(self, playbook: Playbook) -> None:
        days: set[int] = set()
        self.every: dict[str, int] = {}
        for seg in playbook.segments:
            if seg.when.oldest_days_past_due_at_least is not None:
                days.add(seg.when.oldest_days_past_due_at_least)
            for st in seg.steps:
                days.add(st.from_day)
                if st.to_day is not None:
                    days.add(st.to_day + 1)
                if st.every is not None:
                    self.every[st.id] = min(self.every.get(st.id, st.every), st.every)
        self.days = sorted(days)
        settings = playbook.settings
        self.gap, self.remittance = settings.min_days_between_contacts, settings.remittance_request_every
        self.lookback = settings.broken_promise_lookback_days

    def dates(self, engine: E.Engine, account: E.Account, history: E.History, actions: Sequence[tuple]) -> list[dt.date]:
        """The days after tomorrow from which the engine may decide otherwise for the account, its inputs
        and history (``actions`` as the run leaves them) unchanged: a boundary crossed, a cadence or a gap
        elapsed (and maybe earlier days: the caller keeps those after tomorrow)."""
        as_of, out = engine.as_of, []
        for item in account.items:  # the first boundary after tomorrow's (tomorrow itself is evaluated)
            days = engine.days_past_due(item, account.country)
            k = bisect.bisect_right(self.days, days + 1)
            if k < len(self.days):
                out.append(as_of + dt.timedelta(days=self.days[k] - days))
        for step, channel, on, _invoices, _open in actions:
            if step in self.every:
                out.append(on + dt.timedelta(days=self.every[step]))
            if step == E.REMITTANCE_STEP:
                out.append(on + dt.timedelta(days=self.remittance))
            if channel in E.WRITTEN:
                out.append(on + dt.timedelta(days=self.gap))
        for p in history.promises:
            if p.status in ("broken", "partially_kept"):
                out.append(p.pause_until + dt.timedelta(days=self.lookback + 1))
        return out


def next_on(engine: E.Engine, ahead: E.Engine, horizon: Horizon, account: E.Account, history: E.History,
            actions: Sequence[tuple], outcome: E.Outcome) -> tuple[dt.date | None, dict[str, Any] | None]:
    """The next day the account's result (actions, segment) may differ with unchanged inputs, and the
    engine's segment and notes until then — exact: tomorrow is evaluated (``ahead``, the engine of the next
    day, on the history as the run leaves it); if it decides nothing, nothing moves before the next date of
    the horizon, and its segment and notes stand until then."""
    tomorrow = ahead.as_of
    after = E.History(tuple(E.PastAction(n, a[0], a[1], a[2], frozenset(a[3]), a[4]) for n, a in enumerate(actions)),
                      history.promises, history.last_call_on)
    check = ahead.evaluate(account, after)
    if check.proposals or check.stale or check.narrowed:
        return tomorrow, None
    later = [d for d in horizon.dates(engine, account, history, actions) if d > tomorrow]
    return (min(later) if later else None), {"segment": check.segment, "notes": check.notes}


class State(NamedTuple):  # an evaluation_states row as read (a run reads one per account: no ORM objects)
    customer_pk: int
    evaluated_on: dt.date
    stamp: str
    next_on: dt.date | None
    entries_on: dt.date
    playbook_version: int
    outlook: dict[str, Any] | None


def load_states(session: Session, pks: Sequence[int]) -> dict[int, State]:
    t = EvaluationState
    cols = (t.customer_pk, t.evaluated_on, t.stamp, t.next_on, t.entries_on, t.playbook_version, t.outlook)
    out: dict[int, State] = {}
    for i in range(0, len(pks), CHUNK):
        for row in session.execute(select(*cols).where(t.customer_pk.in_(pks[i:i + CHUNK]))):
            out[row[0]] = State._make(row)
    return out


def may_skip(state: State | None, version: int, as_of: dt.date) -> bool:
    """Whether the account may be skipped if its stamp is unchanged (cheap checks before the digest)."""
    if state is None or state.playbook_version != version:
        return False
    if state.evaluated_on == as_of:
        return True
    return as_of > state.evaluated_on and (state.next_on is None or as_of < state.next_on)


def stored_stamp(state: State, as_of: dt.date) -> str:
    """The stamp to compare with: of the day as the run left it, or (a later day) without the day's steps."""
    return state.stamp[:16] if state.evaluated_on == as_of else state.stamp[16:]


def moved_entries(session: Session, pks: Sequence[int], as_of: dt.date) -> None:
    """The accounts whose entry of the day was worked out without an evaluation."""
    for i in range(0, len(pks), CHUNK):
        session.execute(update(EvaluationState).where(EvaluationState.customer_pk.in_(pks[i:i + CHUNK]))
                        .values(entries_on=as_of))


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
