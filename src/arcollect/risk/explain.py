"""A prediction's factors in a collector's words (pure): "pays 12 days late on average over the last
6 invoices (+9 days)", not ``hist_mean=12.1``.

Each factor of ``prediction`` is a feature's value and its contribution in days to the predicted days
late (positive: later). ``sentence`` turns one into plain words; ``account_factors`` picks the account's
strongest ones over its open invoices (a customer-wide habit once, an invoice's own trait with its number).
"""

from __future__ import annotations

import calendar
import functools
from collections import defaultdict
from typing import Any, Callable, Iterable

from arcollect.risk.features import WINDOW

# features that describe the customer (the same on each of its invoices on a date)
CUSTOMER_WIDE = frozenset({"hist_n", "hist_mean", "hist_median", "hist_p75", "hist_last", "hist_trend",
                           "hist_share_late", "dispute_rate", "promises_resolved", "promise_kept_rate",
                           "parent_mean", "segment_mean", "segment_median"})


def _days(v: float) -> str:
    n = abs(round(v))
    return f"{n} day{'s' if n != 1 else ''}"


def _late(v: float) -> str:
    """'12 days late', '3 days early', 'on time'."""
    if round(v) == 0:
        return "on time"
    return f"{_days(v)} {'late' if v > 0 else 'early'}"


def _pct(v: float) -> str:
    return f"{round(v * 100)} %"


def _invoices(n: int) -> str:
    return "invoice" if n == 1 else f"{n} invoices"


def _phrases(paid: int, disputed: bool) -> dict[str, Callable[[float], str]]:
    return _phrases_of(min(paid, WINDOW), disputed)


@functools.lru_cache(maxsize=None)
def _phrases_of(last: int, disputed: bool) -> dict[str, Callable[[float], str]]:
    """The phrases for a customer whose habit is read over ``last`` invoices (built once per kind: a
    prediction of every open invoice words three factors of each)."""
    over = f"over the last {_invoices(last)}" if last != 1 else "on its only paid invoice"
    return {
        "hist_n": lambda v: ("no paid invoice yet: judged by similar customers" if v == 0
                             else f"has paid {_invoices(int(v))} so far" if v > 1 else "has paid one invoice so far"),
        "hist_mean": lambda v: f"pays {_late(v)} on average {over}",
        "hist_median": lambda v: (f"half of its last {_invoices(last)} were paid more than {_late(v)}" if round(v) > 0
                                  and last > 1 else f"typically pays {_late(v)} (median of the last {_invoices(last)})"),
        "hist_p75": lambda v: f"one invoice in four is paid more than {_late(v)}" if v > 0
        else "three invoices in four are paid on time or early",
        "hist_last": lambda v: f"paid its latest invoice {_late(v)}",
        "hist_trend": lambda v: (f"lately pays {_days(v)} {'later' if v > 0 else 'earlier'} than its habit "
                                 f"(last 4 invoices)") if round(v) else "pays lately as it usually does",
        "hist_share_late": lambda v: f"paid {_pct(v)} of the last {_invoices(last)} late",
        "hist_same_dispute": lambda v: (f"pays {_late(v)} on average on its "
                                        f"{'disputed' if disputed else 'undisputed'} invoices"),
        "amount_log": lambda v: "the size of the invoice",
        "amount_ratio": lambda v: (f"{v:.1f} × the customer's usual invoice amount" if v >= 1.05
                                   else f"{round(v * 100)} % of the customer's usual invoice amount" if v <= 0.95
                                   else "about the customer's usual invoice amount"),
        "terms_days": lambda v: f"{_days(v)} payment terms",
        "age_days": lambda v: f"issued {_days(v)} ago",
        "past_due_days": lambda v: (f"already {_days(v)} past due" if v > 0 else "due today" if v == 0
                                    else f"due in {_days(v)}"),
        "disputed": lambda v: "the invoice is in dispute" if v else "the invoice is not disputed",
        "dispute_rate": lambda v: f"disputes {_pct(v)} of its invoices" if v else "has never disputed an invoice",
        "promises_resolved": lambda v: (f"made {int(v)} promise{'s' if v != 1 else ''} to pay" if v
                                        else "has never promised to pay"),
        "promise_kept_rate": lambda v: f"kept {_pct(v)} of its promises to pay",
        "reminders": lambda v: (f"{int(v)} reminder{'s' if v != 1 else ''} already sent for it" if v
                                else "no reminder sent for it yet"),
        "due_to_month_end": lambda v: "due at a month-end" if v == 0 else f"due {_days(v)} before a month-end",
        "due_month": lambda v: f"due in {calendar.month_name[int(v)]}" if 1 <= v <= 12 else "due month unknown",
        "parent_mean": lambda v: f"its group pays {_late(v)} on average",
        "segment_mean": lambda v: f"customers of its segment pay {_late(v)} on average",
        "segment_median": lambda v: f"customers of its segment typically pay {_late(v)}",
    }


def effect(days: float) -> str:
    """The factor's pull on the expected date: 'about 9 days later', 'about 2 days sooner'."""
    if round(abs(days)) == 0:
        return "less than a day"
    return f"about {_days(days)} {'later' if days > 0 else 'sooner'}"


def sentence(factor: dict[str, Any], *, paid: int, disputed: bool = False) -> str:
    """One factor in plain words (its value as a sentence); the label when the value is unknown."""
    value = factor.get("value")
    phrase = _phrases(paid, disputed).get(factor["feature"])
    if value is None or phrase is None:
        return str(factor.get("label") or factor["feature"])
    return phrase(float(value))


def plain(factors: Iterable[dict[str, Any]], *, paid: int, disputed: bool = False) -> list[dict[str, Any]]:
    """The factors with their ``text`` and ``effect`` added."""
    return [{**f, "text": sentence(f, paid=paid, disputed=disputed), "effect": effect(f["days"])} for f in factors]


def account_factors(per_invoice: dict[str, list[dict[str, Any]]], *, paid: int, disputed: frozenset[str] = frozenset(),
                    top: int = 3) -> list[dict[str, Any]]:
    """The account's strongest factors: a customer-wide feature by its mean pull over the open invoices;
    an invoice's own trait by its strongest invoice (named)."""
    pulls: dict[str, list[float]] = defaultdict(list)
    strongest: dict[str, tuple[str, dict[str, Any]]] = {}
    for key, factors in per_invoice.items():
        for f in factors:
            pulls[f["feature"]].append(f["days"])
            if f["feature"] not in strongest or abs(f["days"]) > abs(strongest[f["feature"]][1]["days"]):
                strongest[f["feature"]] = (key, f)
    n = max(1, len(per_invoice))
    ranked = sorted(pulls, key=lambda name: -abs(sum(pulls[name]) / n if name in CUSTOMER_WIDE
                                                  else strongest[name][1]["days"]))
    out = []
    for name in ranked[:top]:
        key, f = strongest[name]
        days = sum(pulls[name]) / n if name in CUSTOMER_WIDE else f["days"]
        if round(abs(days)) == 0:
            continue
        text = sentence(f, paid=paid, disputed=key in disputed)
        out.append({"feature": name, "text": text if name in CUSTOMER_WIDE else f"invoice {key}: {text}",
                    "days": round(days, 1), "effect": effect(days), "invoice_id": None if name in CUSTOMER_WIDE else key})
    return out
