"""The evaluation engine (pure): accounts + history + promises + playbook + date → proposed actions.

Idempotent per day: cadence looks only at actions proposed before the date and not cancelled by the
evaluation itself, so evaluating the same date twice proposes the same actions. Each proposal names its step; a step repeats only after its
cadence (``every``) or for invoices it has not yet covered. Open actions that no longer apply (paid,
disputed, promised, moved to a later step, do-not-contact) come back as ``stale``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping, NamedTuple, Sequence

from arcollect import calendar
from arcollect.money import quantize
from arcollect.playbook.rules import CONTACT_CHANNELS, Playbook, Segment, Step

ZERO = Decimal(0)
REMITTANCE_STEP = "request_remittance"
WRITTEN = frozenset({"email", "letter"})


class OpenItem(NamedTuple):  # a tuple: a run builds a million of them
    invoice_id: str
    due_date: dt.date
    open_amount: Decimal
    currency: str
    disputed: bool = False


@dataclass(frozen=True)
class Account:
    customer_pk: int
    customer_id: str
    currency: str
    items: tuple[OpenItem, ...] = ()
    unapplied: Mapping[str, Decimal] = field(default_factory=dict)  # cash + credits per currency
    collector: str | None = None
    team: str | None = None
    segment: str | None = None
    country: str | None = None
    timezone: str | None = None
    risk: str | None = None
    credit_limit: Decimal | None = None
    do_not_contact: bool = False
    credit_hold: bool = False
    custom: Mapping[str, str] = field(default_factory=dict)


class PastAction(NamedTuple):
    id: int
    step: str
    channel: str
    proposed_on: dt.date
    invoices: frozenset[str]
    open: bool = False  # still on the worklist (not done, skipped or cancelled)


@dataclass(frozen=True)
class PromiseState:
    status: str  # open | kept | partially_kept | broken | cancelled, as of the date
    date: dt.date
    pause_until: dt.date  # promised date + grace days
    invoices: frozenset[str]  # empty: the whole account


@dataclass(frozen=True)
class History:
    actions: tuple[PastAction, ...] = ()
    promises: tuple[PromiseState, ...] = ()
    last_call_on: dt.date | None = None


@dataclass(frozen=True)
class Proposal:
    customer_pk: int
    customer_id: str
    segment: str
    step: str
    channel: str
    template: str | None
    invoices: tuple[str, ...]
    amounts: Mapping[str, Decimal]
    due: dt.date
    scheduled_at: dt.datetime | None
    needs_approval: bool
    reasons: tuple[str, ...]
    rank: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)  # stage, then step order


@dataclass
class Outcome:
    customer_pk: int
    segment: str | None
    proposals: list[Proposal] = field(default_factory=list)
    stale: list[tuple[int, str]] = field(default_factory=list)  # (action id, why it no longer applies)
    # open actions some of whose invoices left dunning: (action id, invoices left, their amounts)
    narrowed: list[tuple[int, tuple[str, ...], dict[str, Decimal]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # exceptions honoured, holds


def money_text(amounts: Mapping[str, Decimal], grouped: bool = False) -> str:
    """'1234.50 USD, 99.00 EUR' (grouped: '1,234.50 USD'; formatting Decimals with grouping is slow)."""
    if grouped:
        return ", ".join(f"{amount:,} {cur}" for cur, amount in sorted(amounts.items()))
    return ", ".join(f"{amount} {cur}" for cur, amount in sorted(amounts.items()))


def _open_balance(account: Account) -> Decimal:
    return sum((i.open_amount for i in account.items if i.currency == account.currency), ZERO)


def matches(segment: Segment, account: Account, oldest_dpd: int | None) -> bool:
    w = segment.when
    checks = (
        (w.segment, account.segment), (w.country, account.country), (w.currency, account.currency),
        (w.risk, account.risk), (w.collector, account.collector), (w.team, account.team),
    )
    for allowed, value in checks:
        if allowed is not None and value not in allowed:
            return False
    balance = _open_balance(account)
    if w.open_balance_at_least is not None and balance < w.open_balance_at_least:
        return False
    if w.open_balance_below is not None and balance >= w.open_balance_below:
        return False
    if w.credit_limit_at_least is not None and (account.credit_limit or ZERO) < w.credit_limit_at_least:
        return False
    if w.oldest_days_past_due_at_least is not None and (oldest_dpd is None or oldest_dpd < w.oldest_days_past_due_at_least):
        return False
    if w.custom:
        return all(str(account.custom.get(k, "")) == v for k, v in w.custom.items())
    return True


class _StepIndex:
    """Which steps of a segment cover a number of days past due (looked up once per invoice)."""

    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.stages = segment.stages()
        self._cache: dict[int, tuple[Step, ...]] = {}

    def covering(self, dpd: int) -> tuple[Step, ...]:
        hit = self._cache.get(dpd)
        if hit is None:
            hit = tuple(s for s in self.segment.steps if s.covers(dpd))
            if len(self._cache) < 5000:
                self._cache[dpd] = hit
        return hit

    def next_stage(self, dpd: int) -> int:
        """The start of the stage after the one ``dpd`` is in (a broken promise's invoices move there)."""
        later = [s for s in self.stages if s > dpd]
        return later[0] if later and any(s <= dpd for s in self.stages) else dpd


class Engine:
    """One playbook evaluated for one date; reusable across all accounts of a run."""

    def __init__(self, playbook: Playbook, as_of: dt.date, *, run_at: dt.datetime | None = None) -> None:
        self.playbook = playbook
        self.settings = playbook.settings
        self.as_of = as_of
        self.run_at = run_at or dt.datetime.combine(as_of, dt.time(0), tzinfo=calendar.UTC)
        self.contact_window = self.settings.contact_window.window()
        self.indexes = {s.name: _StepIndex(s) for s in playbook.segments}
        self.ranks = {(seg.name, st.id): (st.from_day, n) for seg in playbook.segments for n, st in enumerate(seg.steps)}
        # per (segment, step): the later steps of the same channel (an earlier step is moot for their invoices)
        self.later = {(seg.name, st.id): frozenset(o.id for o in seg.steps
                                                    if o.channel == st.channel and o.from_day > st.from_day)
                      for seg in playbook.segments for st in seg.steps}
        self._due: dict[tuple[dt.date, str | None], dt.date] = {}
        self._slots: dict[tuple, tuple[dt.date, dt.datetime | None]] = {}

    def segment_of(self, account: Account, oldest_dpd: int | None) -> Segment | None:
        return next((s for s in self.playbook.segments if matches(s, account, oldest_dpd)), None)

    def days_past_due(self, item: OpenItem, country: str | None) -> int:
        key = (item.due_date, country)
        due = self._due.get(key)
        if due is None:
            due = self._due[key] = calendar.adjust_due_date(item.due_date, country, self.settings.due_date_convention)
        return (self.as_of - due).days

    def evaluate(self, account: Account, history: History) -> Outcome:
        dpd = {i.invoice_id: self.days_past_due(i, account.country) for i in account.items}
        oldest = max(dpd.values()) if dpd else None
        segment = self.segment_of(account, oldest)
        out = Outcome(account.customer_pk, segment.name if segment else None)
        if segment is None:
            out.notes.append("no playbook segment matches this account")
            return out
        index = self.indexes[segment.name]
        paused, whole_paused, bumped = self._promises(account, history, out)
        # invoice → days past due used to pick steps (a broken promise moves it one stage on)
        eligible: dict[str, int] = {}
        disputed = 0
        for item in account.items:
            if item.disputed:
                disputed += 1
                continue
            if whole_paused or item.invoice_id in paused:
                continue
            days = dpd[item.invoice_id]
            if item.invoice_id in bumped:
                days = max(days, index.next_stage(days))
            eligible[item.invoice_id] = days
        if disputed:
            out.notes.append(f"{disputed} invoice{'s' if disputed > 1 else ''} in dispute: not dunned")
        if account.do_not_contact:
            out.notes.append("do not contact: no emails, calls or letters")
        if account.credit_hold:
            out.notes.append("on credit hold")
        by_step: dict[str, list[str]] = defaultdict(list)
        for invoice_id, days in eligible.items():
            for step in index.covering(days):
                by_step[step.id].append(invoice_id)
        items = {i.invoice_id: i for i in account.items}
        self._stale(account, history, segment, index, eligible, by_step, out)
        # cadence: days before only, and not the actions this evaluation cancels — the run leaves them
        # cancelled, and a cancelled action is history no more (the day's second run must decide the same)
        gone = {aid for aid, _ in out.stale}
        prior = tuple(a for a in history.actions if a.proposed_on < self.as_of and a.id not in gone)
        past = defaultdict(list)
        for a in prior:
            past[a.step].append(a)
        if not account.items:
            self._remittance(account, past[REMITTANCE_STEP], out)
            return out
        written: list[tuple[Step, list[str]]] = []
        calls: list[tuple[Step, list[str]]] = []
        for step in segment.steps:
            invoices = by_step.get(step.id)
            if not invoices or step.escalation is not None:  # the escalation ladder proposes it
                continue
            if step.channel in CONTACT_CHANNELS and account.do_not_contact:
                continue
            if any(getattr(account, flag) for flag in step.skip_when):
                out.notes.append(f"{step.id} skipped: {', '.join(f for f in step.skip_when if getattr(account, f))}")
                continue
            later = self.later[(segment.name, step.id)]
            moot = self._advanced(later, prior) if later else set()
            chosen = self._cadence(step, invoices, past[step.id], moot)
            if not chosen:
                continue
            if step.requires_call and not self._called_since(step, chosen, dpd, past[step.id], history):
                out.notes.append(f"{step.id} held until a call is logged")
                continue
            if step.channel in WRITTEN:
                written.append((step, chosen))
            elif step.channel == "call":
                calls.append((step, chosen))
            else:
                out.proposals.append(self._proposal(account, segment, step, chosen, items, dpd, bumped))
        groups = [calls] + ([[c for c in written if c[0].channel == ch] for ch in sorted(WRITTEN)]
                            if self._gap_ok(written, prior, out) else [])
        for group in groups:
            if group:
                step, chosen = self._merge(group, segment, out)
                chosen = self._supersede(step, chosen, history, eligible, out)
                out.proposals.append(self._proposal(account, segment, step, chosen, items, dpd, bumped))
        return out

    def _supersede(self, step: Step, chosen: list[str], history: History, eligible: Mapping[str, int],
                   out: Outcome) -> list[str]:
        """Re-evaluated during the day (after a call, say): an open action of the same channel proposed
        today by another step gives way to this one, which takes over its invoices (one a day)."""
        invoices = set(chosen)
        for a in history.actions:
            if a.open and a.proposed_on == self.as_of and a.channel == step.channel and a.step != step.id:
                out.stale.append((a.id, f"superseded by {step.id}"))
                invoices |= {i for i in a.invoices if i in eligible}
        return sorted(invoices)

    # --- parts ---------------------------------------------------------------------------------

    def _promises(self, account: Account, history: History, out: Outcome) -> tuple[set[str], bool, set[str]]:
        paused: set[str] = set()
        whole = False
        for p in history.promises:
            if p.status == "open":
                paused |= p.invoices
                whole = whole or not p.invoices
                out.notes.append(f"promise to pay by {p.date.isoformat()}: "
                                 f"{'the account' if not p.invoices else f'{len(p.invoices)} invoice(s)'}"
                                 f" paused until {p.pause_until.isoformat()}")
        bumped: set[str] = set()
        lookback = self.as_of - dt.timedelta(days=self.settings.broken_promise_lookback_days)
        latest = max((p for p in history.promises if p.status != "cancelled"), key=lambda p: p.date, default=None)
        if latest is not None and latest.status in ("broken", "partially_kept") and latest.pause_until >= lookback:
            bumped = set(latest.invoices) if latest.invoices else {i.invoice_id for i in account.items}
            out.notes.append(f"promise of {latest.date.isoformat()} {latest.status.replace('_', ' ')}: "
                             "moved to the next step")
        return paused, whole, bumped

    @staticmethod
    def _advanced(later: frozenset[str], prior: Sequence[PastAction]) -> set[str]:
        """Invoices already taken up by a later step of the same channel (an earlier step is moot)."""
        out: set[str] = set()
        for a in prior:
            if a.step in later:
                out |= a.invoices
        return out

    def _cadence(self, step: Step, invoices: list[str], past: list[PastAction], moot: set[str]) -> list[str]:
        invoices = [i for i in invoices if i not in moot]
        if not past or not invoices:
            return invoices
        last = max(past, key=lambda a: a.proposed_on)
        if step.every is not None and (self.as_of - last.proposed_on).days >= step.every:
            return invoices
        covered: set[str] = set()
        for a in past:
            covered |= a.invoices
        return [i for i in invoices if i not in covered]

    def _called_since(self, step: Step, chosen: list[str], dpd: Mapping[str, int],
                      past: list[PastAction], history: History) -> bool:
        if history.last_call_on is None:
            return False
        if past:
            since = max(a.proposed_on for a in past)
        else:
            entered = max(0, max(dpd[i] for i in chosen) - step.from_day)
            since = self.as_of - dt.timedelta(days=entered)
        return history.last_call_on >= since

    def _gap_ok(self, written: list, prior: Sequence[PastAction], out: Outcome) -> bool:
        """No email/letter within the minimum gap after the last one (they wait and fire later)."""
        if not written:
            return False
        gap = self.settings.min_days_between_contacts
        last = max((a.proposed_on for a in prior if a.channel in WRITTEN), default=None)
        if last is not None and (self.as_of - last).days < gap:
            out.notes.append(f"written reminders held: last one on {last.isoformat()} "
                             f"(minimum {gap} days between them)")
            return False
        return True

    def _merge(self, group: list[tuple[Step, list[str]]], segment: Segment, out: Outcome) -> tuple[Step, list[str]]:
        """One call, one email, one letter per customer per day: the most advanced step, listing the
        past-due invoices of the others too (a courtesy reminder for items not yet due waits)."""
        if len(group) == 1:
            return group[0]
        rank = self.ranks
        lead, lead_invoices = max(group, key=lambda c: rank[(segment.name, c[0].id)])
        invoices = set(lead_invoices)
        for step, chosen in group:
            if step is lead:
                continue
            if step.from_day > 0 or lead.from_day <= 0:
                invoices |= set(chosen)
                out.notes.append(f"{step.id} folded into {lead.id}")
            else:
                out.notes.append(f"{step.id} waits: {lead.id} goes first")
        return lead, sorted(invoices)

    def _proposal(self, account: Account, segment: Segment, step: Step, invoices: list[str],
                  items: Mapping[str, OpenItem], dpd: Mapping[str, int], bumped: set[str]) -> Proposal:
        sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for i in invoices:
            sums[items[i].currency] += items[i].open_amount
        amounts = {cur: quantize(v, cur) for cur, v in sums.items()}
        worst = max(dpd[i] for i in invoices)
        reasons = [step.describe()]
        if worst < 0:
            reasons.append(f"{len(invoices)} invoice(s) due within {-worst} days: {money_text(amounts)}")
        else:
            reasons.append(f"{len(invoices)} invoice(s), oldest {worst} days past due: {money_text(amounts)}")
        if bumped & set(invoices):
            reasons.append("moved on a step: the last promise to pay was broken")
        if step.needs_approval:
            reasons.append("needs a manager's approval")
        due, slot = self._schedule(account, step.channel)
        return Proposal(account.customer_pk, account.customer_id, segment.name, step.id, step.channel,
                        step.template, tuple(sorted(invoices)), amounts, due, slot,
                        step.needs_approval, tuple(reasons), self.ranks[(segment.name, step.id)])

    def _schedule(self, account: Account, channel: str) -> tuple[dt.date, dt.datetime | None]:
        key = (channel, account.timezone, account.country, account.collector, account.team)
        hit = self._slots.get(key)
        if hit is None:
            hit = self._slots[key] = self._slot(account, channel)
        return hit

    def _slot(self, account: Account, channel: str) -> tuple[dt.date, dt.datetime | None]:
        if channel == "call":
            shift = self.playbook.shift_for(account.collector, account.team)
            slot = calendar.first_call_slot(self.run_at, customer_tz=account.timezone,
                                            customer_country=account.country, contact=self.contact_window,
                                            shift=shift)
            if slot is not None:
                local = slot.astimezone(calendar.zone(shift.timezone if shift else account.timezone))
                return max(local.date(), self.as_of), slot
            return self.as_of, None
        if channel in WRITTEN:
            return calendar.next_business_day(self.as_of, account.country), None
        return self.as_of, None

    def _remittance(self, account: Account, past: list[PastAction], out: Outcome) -> None:
        unapplied = {c: a for c, a in account.unapplied.items() if a > 0}
        if not unapplied or account.do_not_contact:
            return
        if past and (self.as_of - max(a.proposed_on for a in past)).days < self.settings.remittance_request_every:
            return
        due, _ = self._schedule(account, "email")
        out.proposals.append(Proposal(
            account.customer_pk, account.customer_id, out.segment or "", REMITTANCE_STEP, "email",
            "remittance_request", (), unapplied, due, None, False,
            (f"unapplied cash/credits of {money_text(unapplied)} and no open invoices: ask for the remittance advice",)))

    def _stale(self, account: Account, history: History, segment: Segment, index: _StepIndex,
               eligible: Mapping[str, int], by_step: Mapping[str, list[str]], out: Outcome) -> None:
        """Open actions that no longer apply (stale) or list invoices that left dunning (narrowed)."""
        items = {i.invoice_id: i for i in account.items}
        for a in history.actions:
            if not a.open:
                continue
            if a.step == REMITTANCE_STEP:
                if account.items or not any(v > 0 for v in account.unapplied.values()):
                    out.stale.append((a.id, "no longer only unapplied cash"))
                continue
            if a.channel in CONTACT_CHANNELS and account.do_not_contact:
                out.stale.append((a.id, "customer is marked do-not-contact"))
                continue
            live = [i for i in sorted(a.invoices) if i in eligible]
            if not live:
                out.stale.append((a.id, "its invoices are paid, disputed or under a promise to pay"))
                continue
            step = next((s for s in segment.steps if s.id == a.step), None)
            if step is not None and step.escalation is not None:
                out.stale.append((a.id, "an escalation now: decided in the escalation queue"))
                continue
            rank = step.from_day if step is not None else None
            windows = {s.id for s in segment.steps if s.channel == a.channel and rank is not None and s.from_day <= rank}
            if not any(i in by_step.get(w, ()) for w in windows for i in live):
                out.stale.append((a.id, "its invoices moved on to a later step"))
            elif len(live) < len(a.invoices):
                amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
                for i in live:
                    amounts[items[i].currency] += items[i].open_amount
                out.narrowed.append((a.id, tuple(live), {c: quantize(v, c) for c, v in amounts.items()}))


def evaluate(accounts: Iterable[Account], histories: Mapping[int, History], playbook: Playbook,
             as_of: dt.date, *, run_at: dt.datetime | None = None) -> list[Outcome]:
    """Evaluate every account. ``histories`` holds the actions proposed up to ``as_of``: those of
    earlier days drive cadence, the open ones (any day) are checked for staleness."""
    engine = Engine(playbook, as_of, run_at=run_at)
    empty = History()
    return [engine.evaluate(a, histories.get(a.customer_pk, empty)) for a in accounts]


def proposals_of(outcomes: Sequence[Outcome]) -> list[Proposal]:
    return [p for o in outcomes for p in o.proposals]
