"""The evaluation of the offline triage on the labelled corpus (shared by the test and benchmarks/assistant.py):
every sample read exactly as the service reads a mail — parsed, cleaned, classified, its facts extracted and
its invoice numbers resolved against the account's documents — and compared with its labels."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arcollect.assistant import clean, proposals
from arcollect.outreach import inbound
from tests.assistant.corpus import INTENTS, KNOWN_INVOICES, Sample


def predict(sample: Sample) -> dict[str, Any]:
    parsed = inbound.parse(sample.raw)
    text = clean.reply_text(text=parsed.text, html=parsed.html)
    as_of = parsed.sent_at.date() if parsed.sent_at else sample.as_of
    return proposals.read(text, subject=parsed.subject, as_of=as_of, auto_reply=parsed.kind == "auto_reply",
                          sender=parsed.from_addr, known_invoices=KNOWN_INVOICES, currency="EUR",
                          month_first=sample.month_first)


@dataclass
class Report:
    n: int = 0
    confusion: dict[tuple[str, str], int] = field(default_factory=Counter)
    by_language: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    checks: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # name → [right, total]
    misses: list[str] = field(default_factory=list)

    def precision(self, intent: str) -> float:
        predicted = sum(v for (t, p), v in self.confusion.items() if p == intent)
        return self.confusion[(intent, intent)] / predicted if predicted else 1.0

    def recall(self, intent: str) -> float:
        actual = sum(v for (t, p), v in self.confusion.items() if t == intent)
        return self.confusion[(intent, intent)] / actual if actual else 1.0

    @property
    def accuracy(self) -> float:
        return sum(self.confusion[(i, i)] for i in INTENTS) / self.n

    def rate(self, name: str) -> float:
        right, total = self.checks[name]
        return right / total if total else 1.0


def _check(report: Report, name: str, ok: bool, sample: Sample, detail: str) -> None:
    report.checks[name][0] += ok
    report.checks[name][1] += 1
    if not ok:
        report.misses.append(f"{sample.sid} {name}: {detail} noise={','.join(sample.noise)}")


def evaluate(corpus: list[Sample]) -> Report:
    report = Report()
    for s in corpus:
        r = predict(s)
        report.n += 1
        report.confusion[(s.intent, r["intent"])] += 1
        lang = "en_us" if s.month_first else s.language
        report.by_language[lang][0] += r["intent"] == s.intent
        report.by_language[lang][1] += 1
        if r["intent"] != s.intent:
            report.misses.append(f"{s.sid} intent: {r['intent']} ({r['confidence']}) evidence={r['evidence']} "
                                 f"noise={','.join(s.noise)}")
        _check(report, "invoices", set(r["invoices"]) == set(s.invoices), s, f"{r['invoices']} != {list(s.invoices)}")
        if s.promise_date is not None:
            got = (r["facts"]["promise_date"] or {}).get("value")
            _check(report, "promise_date", got == s.promise_date.isoformat(), s, f"{got} != {s.promise_date}")
        if s.amount is not None:
            amounts = [Decimal(a["value"]) for a in r["facts"]["amounts"]]
            _check(report, "amount", bool(amounts) and amounts[0] == s.amount, s, f"{amounts} != {s.amount}")
        if s.reason is not None:
            got = (r["dispute"] or {}).get("reason") if r["dispute"] else (r["facts"]["reason"] or {}).get("value")
            _check(report, "reason", got == s.reason, s, f"{got} != {s.reason}")
        if s.return_date is not None:
            got = (r["facts"]["return_date"] or {}).get("value")
            _check(report, "return_date", got == s.return_date.isoformat(), s, f"{got} != {s.return_date}")
        if s.new_contact is not None:
            got = (r["facts"]["new_contact"] or {}).get("value")
            _check(report, "new_contact", got == s.new_contact, s, f"{got} != {s.new_contact}")
    return report


def today() -> dt.date:  # a fixed date for examples in the docs (never the wall clock)
    return dt.date(2026, 11, 23)
