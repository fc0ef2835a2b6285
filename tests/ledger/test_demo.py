"""The demo portfolio: deterministic per seed, realistic in shape, and it ties out to the cent."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal

from arcollect.ledger import service
from arcollect.ledger.demo import generate

AS_OF = dt.date(2026, 11, 23)


def _fingerprint(books) -> list:  # noqa: ANN001
    return [(b.customer["customer_id"], b.customer["name"], [(i["invoice_id"], i["amount"]) for i in b.invoices],
             [(p["payment_id"], p["amount"], p["received_date"]) for p in b.payments]) for b in books]


def test_same_seed_same_portfolio_other_seed_other_portfolio():
    a = _fingerprint(generate(customers=30, seed=7, as_of=AS_OF))
    b = _fingerprint(generate(customers=30, seed=7, as_of=AS_OF))
    c = _fingerprint(generate(customers=30, seed=8, as_of=AS_OF))
    assert a == b
    assert a != c


def test_the_book_looks_like_a_real_b2b_ledger():
    books = list(generate(customers=400, seed=1, as_of=AS_OF))
    currencies = Counter(b.customer["currency"] for b in books)
    assert set(currencies) == {"USD", "EUR", "GBP"}
    assert sum(1 for b in books if b.customer["parent_id"]) >= 10  # parent/child groups
    assert Counter(b.profile for b in books).keys() == {"prompt", "slow", "chronic", "partial", "bundler"}
    invoices = [i for b in books for i in b.invoices]
    assert min(i["issue_date"] for i in invoices) <= AS_OF - dt.timedelta(days=450)  # 15 months
    bundled = [p for b in books for p in b.payments if p["applies_to"] and ";" in p["applies_to"]]
    assert bundled, "bundled payments covering several invoices"
    assert any(p["unidentified"] for b in books for p in b.payments)
    assert any(not p["applies_to"] for b in books for p in b.payments)  # cash on account
    assert any(cn["applies_to"] is None for b in books for cn in b.credit_notes)
    # chronic payers are later than prompt payers on what they paid
    def mean_lateness(profile: str) -> float:
        lates = []
        for b in books:
            if b.profile != profile:
                continue
            due = {i["invoice_id"]: i["due_date"] for i in b.invoices}
            for p in b.payments:
                if p["applies_to"] and p["applies_to"] in due:
                    lates.append((p["received_date"] - due[p["applies_to"]]).days)
        return sum(lates) / len(lates)
    assert mean_lateness("chronic") > mean_lateness("slow") > mean_lateness("prompt") + 10


def test_loaded_demo_ties_out_and_refuses_a_second_load(ctx):
    counts = service.load_demo(ctx, customers=60, seed=3, as_of=AS_OF)
    assert counts["customers"] == 60 and counts["invoices"] > 300
    for currency in ("USD", "EUR", "GBP"):
        t = service.ledger_totals(ctx, as_of=AS_OF, currency=currency)
        assert t.invoiced - t.applied_payments - t.applied_credits - t.written_off == t.open
        assert t.payments == t.applied_payments + t.unapplied_cash
    report = service.aging(ctx, as_of=AS_OF, by="total")
    assert {r.currency for r in report.rows} == {"USD", "EUR", "GBP"}
    assert all(r.buckets[-1] > 0 for r in report.rows if r.currency == "USD")  # some 90+ debt
    import pytest

    from arcollect.errors import Conflict

    with pytest.raises(Conflict, match="empty ledger"):
        service.load_demo(ctx, customers=5, seed=3, as_of=AS_OF)


def test_cli_demo_if_empty_and_customer_show(cli):
    first = cli("demo", "--customers", "25", "--seed", "11", "--as-of", "2026-11-23")
    assert first.exit_code == 0 and first.stdout.startswith("demo loaded: 25 customers")
    again = cli("demo", "--customers", "25", "--seed", "11", "--if-empty")
    assert again.exit_code == 0 and "not loaded" in again.stdout
    shown = cli("customer", "show", "C000001", "--as-of", "2026-11-23", "--json")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert data["customer"]["customer_id"] == "C000001"
    for item in data["open_items"]:
        assert item["days_past_due"] == (AS_OF - dt.date.fromisoformat(item["due_date"])).days
        assert Decimal(item["open_amount"]) > 0
    for currency, balance in data["open_balance"].items():
        assert Decimal(balance) == sum(Decimal(i["open_amount"]) for i in data["open_items"] if i["currency"] == currency)
    table = cli("customer", "show", "C000001", "--as-of", "2026-11-23")
    assert "Open items as of 2026-11-23" in table.stdout
    missing = cli("customer", "show", "NOPE")
    assert missing.exit_code == 1 and "customer 'NOPE' not found" in missing.stderr


def test_demo_phone_numbers_are_valid_e164_numbers_of_each_customers_country():
    import phonenumbers

    books = list(generate(customers=400, seed=1, as_of=AS_OF))
    seen: Counter = Counter()
    for book in books:
        country = book.customer["country"]
        for phone in [book.customer["phone"], *(c["phone"] for c in book.contacts)]:
            number = phonenumbers.parse(phone, None)
            assert phonenumbers.is_valid_number(number), (country, phone)
            assert phonenumbers.region_code_for_number(number) == country, (country, phone)
            assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
            seen[country] += 1
    from arcollect.ledger.demo import COUNTRIES

    assert set(seen) == {c[0] for c in COUNTRIES}  # every country of the demo was checked
