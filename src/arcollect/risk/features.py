"""Per-invoice features for payment prediction (pure): plain rows in, a numeric matrix out.

Everything an invoice's row says about a date D uses only what was known on D: the customer's invoices
settled before D (their days late: mean, median, 75th percentile, trend, share late), its usual invoice
amount, disputes opened and promises resolved before D, reminders sent by D, the group parent's and the
segment's behaviour (the cold start of a customer without history), the terms, the invoice's age on D
and the calendar (month-end, month). Days late = settled date − due date (negative: paid early).
Missing values are NaN (the model handles them: a new customer has no history).
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

ZERO = Decimal(0)

WINDOW = 24  # the customer's latest settled invoices that describe its habit
POOL_WINDOW = 400  # a segment's or a group's latest settled invoices
NAN = float("nan")


@dataclass(frozen=True)
class InvoiceRow:
    key: str  # the invoice id
    customer: str
    issue_date: dt.date
    due_date: dt.date
    amount: Decimal
    settled_on: dt.date | None = None  # paid in full on (None: open, or closed otherwise)
    disputed_on: dt.date | None = None  # first disputed on
    segment: str | None = None
    parent: str | None = None

    @property
    def days_late(self) -> int | None:
        return None if self.settled_on is None else (self.settled_on - self.due_date).days


@dataclass
class Events:
    """What happened around the invoices: promises resolved (customer → (deadline, kept)) and reminders
    sent (invoice key → dates; customer key → dates for reminders naming no invoice)."""

    promises: dict[str, list[tuple[dt.date, bool]]] = field(default_factory=dict)
    reminders: dict[str, list[dt.date]] = field(default_factory=dict)


FEATURES: tuple[tuple[str, str], ...] = (
    ("hist_n", "invoices the customer has paid"),
    ("hist_mean", "customer's mean days late"),
    ("hist_median", "customer's median days late"),
    ("hist_p75", "customer's 75th percentile days late"),
    ("hist_last", "days late of the customer's last payment"),
    ("hist_trend", "customer's trend (latest 4 vs habit)"),
    ("hist_share_late", "share of the customer's invoices paid late"),
    ("hist_same_dispute", "customer's mean days late, disputed or not like this one"),
    ("amount_log", "invoice amount (log)"),
    ("amount_ratio", "amount vs the customer's usual"),
    ("terms_days", "payment terms (days)"),
    ("age_days", "invoice age on the date"),
    ("past_due_days", "days past due on the date"),
    ("disputed", "invoice disputed"),
    ("dispute_rate", "customer's disputes per invoice"),
    ("promises_resolved", "promises the customer made"),
    ("promise_kept_rate", "customer's promise kept rate"),
    ("reminders", "reminders sent for the invoice"),
    ("due_to_month_end", "days from due date to month-end"),
    ("due_month", "month of the due date"),
    ("parent_mean", "group's mean days late"),
    ("segment_mean", "segment's mean days late"),
    ("segment_median", "segment's median days late"),
)
NAMES = tuple(name for name, _ in FEATURES)
LABELS = dict(FEATURES)


def _median(ordered: Sequence[Decimal]) -> Decimal:
    """The median of sorted amounts, exactly (Decimal)."""
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of sorted values."""
    if not values:
        return NAN
    pos = (len(values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


class _Track:
    """Settled invoices of one customer (or pool) in settlement order: days late known before a date."""

    def __init__(self, window: int) -> None:
        self.window = window
        self.dates: list[dt.date] = []
        self.late: list[int] = []
        self._cache: dict[int, tuple[float, ...]] = {}

    def add(self, settled: dt.date, late: int) -> None:
        self.dates.append(settled)
        self.late.append(late)

    def seal(self) -> None:
        order = sorted(range(len(self.dates)), key=self.dates.__getitem__)
        self.dates = [self.dates[i] for i in order]
        self.late = [self.late[i] for i in order]

    def stats(self, as_of: dt.date) -> tuple[float, ...]:
        """(n, mean, median, p75, last, trend, share late) of the invoices settled before the date."""
        k = bisect.bisect_left(self.dates, as_of)
        got = self._cache.get(k)
        if got is None:
            got = self._cache[k] = _summary(self.late[max(0, k - self.window):k], k)
        return got


def _summary(recent: list[int], n: int) -> tuple[float, ...]:
    if not recent:
        return (float(n), NAN, NAN, NAN, NAN, NAN, NAN)
    ordered = sorted(recent)
    mean = sum(recent) / len(recent)
    tail = recent[-4:]
    trend = sum(tail) / len(tail) - mean if len(recent) >= 6 else NAN
    return (float(n), mean, _quantile(ordered, 0.5), _quantile(ordered, 0.75), float(recent[-1]), trend,
            sum(1 for v in recent if v > 0) / len(recent))


class History:
    """The book's settled history and events, indexed for 'what was known on date D' questions."""

    def __init__(self, rows: Iterable[InvoiceRow], events: Events | None = None) -> None:
        self.events = events or Events()
        self.customers: dict[str, _Track] = defaultdict(lambda: _Track(WINDOW))
        self.by_dispute: dict[tuple[str, bool], _Track] = defaultdict(lambda: _Track(WINDOW))
        self.parents: dict[str, _Track] = defaultdict(lambda: _Track(POOL_WINDOW))
        self.segments: dict[str, _Track] = defaultdict(lambda: _Track(POOL_WINDOW))
        issued: dict[str, list[tuple[dt.date, float]]] = defaultdict(list)
        disputes: dict[str, list[dt.date]] = defaultdict(list)
        for r in rows:
            issued[r.customer].append((r.issue_date, r.amount))
            if r.disputed_on is not None:
                disputes[r.customer].append(r.disputed_on)
            if r.settled_on is not None:
                late = (r.settled_on - r.due_date).days
                self.customers[r.customer].add(r.settled_on, late)
                self.by_dispute[(r.customer, r.disputed_on is not None)].add(r.settled_on, late)
                self.parents[r.parent or r.customer].add(r.settled_on, late)
                self.segments[r.segment or ""].add(r.settled_on, late)
        for tracks in (self.customers, self.parents, self.segments, self.by_dispute):
            for t in tracks.values():
                t.seal()
        self.issue_dates: dict[str, list[dt.date]] = {}
        self.amounts: dict[str, list[Decimal]] = {}  # money stays Decimal; only derived features are floats
        for cust, items in issued.items():
            items.sort(key=lambda x: x[0])
            self.issue_dates[cust] = [d for d, _ in items]
            self.amounts[cust] = [a for _, a in items]
        self.disputes = {c: sorted(v) for c, v in disputes.items()}
        self.promises = {c: (sorted(d for d, _ in v), sorted(v)) for c, v in self.events.promises.items()}
        self.reminders = {k: sorted(v) for k, v in self.events.reminders.items()}
        self._usual: dict[tuple[str, int], Decimal | None] = {}

    def usual_amount(self, customer: str, as_of: dt.date) -> tuple[int, Decimal | None]:
        """(invoices issued before the date, their median amount over the latest WINDOW)."""
        dates = self.issue_dates.get(customer, [])
        j = bisect.bisect_left(dates, as_of)
        key = (customer, j)
        if key not in self._usual:
            recent = sorted(self.amounts[customer][max(0, j - WINDOW):j]) if j else []
            self._usual[key] = _median(recent) if recent else None
        return j, self._usual[key]

    def promise_record(self, customer: str, as_of: dt.date) -> tuple[float, float]:
        got = self.promises.get(customer)
        if not got:
            return 0.0, NAN
        deadlines, pairs = got
        k = bisect.bisect_left(deadlines, as_of)
        if not k:
            return 0.0, NAN
        return float(k), sum(1 for _, kept in pairs[:k] if kept) / k

    def reminder_count(self, key: str, customer: str, as_of: dt.date) -> float:
        own = self.reminders.get(key, [])
        return float(bisect.bisect_right(own, as_of))


def _month_end(day: dt.date) -> dt.date:
    nxt = (day.replace(day=28) + dt.timedelta(days=4))
    return nxt - dt.timedelta(days=nxt.day)


def row_features(history: History, row: InvoiceRow, as_of: dt.date) -> list[float]:
    """The feature vector (in NAMES order) of one invoice as known on the date."""
    n, mean, median, p75, last, trend, share = history.customers[row.customer].stats(as_of) \
        if row.customer in history.customers else (0.0, NAN, NAN, NAN, NAN, NAN, NAN)
    issued, usual = history.usual_amount(row.customer, as_of)
    # the invoice's size on a log scale: a model input, not money (the amount itself stays Decimal). math.log1p
    # reads the Decimal directly — Decimal.ln cost 26–180 µs a row, most of the feature time on a 600k-example
    # book; the same value to the last bits
    size = math.log1p(max(row.amount, ZERO))
    against_usual = float(row.amount / usual) if usual else NAN
    disputes = history.disputes.get(row.customer, [])
    dispute_rate = bisect.bisect_left(disputes, as_of) / issued if issued else NAN
    resolved, kept_rate = history.promise_record(row.customer, as_of)
    group = row.parent or row.customer
    parent_mean = history.parents[group].stats(as_of)[1] if row.parent and group in history.parents else NAN
    disputed = row.disputed_on is not None and row.disputed_on <= as_of
    same = history.by_dispute.get((row.customer, disputed))
    same_mean = same.stats(as_of)[1] if same is not None else NAN
    seg = history.segments.get(row.segment or "")
    seg_stats = seg.stats(as_of) if seg is not None else (0.0, NAN, NAN)
    return [
        n, mean, median, p75, last, trend, share, same_mean,
        size,
        against_usual,
        float((row.due_date - row.issue_date).days),
        float(max(0, (as_of - row.issue_date).days)),
        float((as_of - row.due_date).days),
        1.0 if disputed else 0.0,
        dispute_rate,
        resolved, kept_rate,
        history.reminder_count(row.key, row.customer, as_of),
        float((_month_end(row.due_date) - row.due_date).days),
        float(row.due_date.month),
        parent_mean,
        seg_stats[1], seg_stats[2],
    ]


def matrix(history: History, items: Iterable[tuple[InvoiceRow, dt.date]]) -> list[list[float]]:
    """One feature row per (invoice, date)."""
    return [row_features(history, row, as_of) for row, as_of in items]


def snapshots(rows: Iterable[InvoiceRow], cut: dt.date) -> list[tuple[InvoiceRow, dt.date, int]]:
    """Training examples from invoices settled before the cut: (invoice, date it is seen, days late).

    Each is seen on its issue date, and again on the day after its due date and 30 days later when it
    was still open then — so that the model also learns what an invoice already late tends to do.
    """
    out = []
    for r in rows:
        if r.settled_on is None or r.settled_on >= cut:
            continue
        late = (r.settled_on - r.due_date).days
        out.append((r, r.issue_date, late))
        for extra in (1, 31):
            seen = r.due_date + dt.timedelta(days=extra)
            if seen < r.settled_on and seen > r.issue_date:
                out.append((r, seen, late))
    return out
