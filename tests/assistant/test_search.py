"""assistant ask on both databases: ranking (exact numbers first), snippets highlighted and escaped, the
caller's scope inside every query (also in snippets), filters, the index kept current by the database, and
input with FTS syntax that never raises."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from arcollect.assistant import search, sops
from arcollect.disputes.scope import CaseScope
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger.models import Invoice
from arcollect.ledger.scope import CustomerScope
from tests.assistant.search_book import build

ALICE = CaseScope(customers=CustomerScope(collectors=("alice",)))
BOB = CaseScope(customers=CustomerScope(collectors=("bob",)))


@pytest.fixture
def book(ctx, cli, tmp_path):  # noqa: ANN001
    build(ctx, cli, tmp_path)
    return ctx


def _ask(ctx, q, **kw):  # noqa: ANN001, ANN202
    return search.search(ctx, query=q, **kw)["results"]


def test_the_exact_invoice_number_comes_first_then_what_mentions_it(book):
    hits = _ask(book, "INV-1042")
    assert (hits[0]["kind"], hits[0]["id"], hits[0]["exact"]) == ("invoice", "INV-1042", True)
    assert hits[0]["customer_id"] == "C1" and hits[0]["url"] == "/customers/C1"
    assert "<mark>INV</mark>-<mark>1042</mark>" in hits[0]["title_html"]
    kinds = [(h["kind"], h["id"]) for h in hits]
    assert ("invoice", "INV-10420") in kinds  # the start of a longer number is found too, after the exact one
    assert any(k == "email" and i.startswith("out-") for k, i in kinds)  # the reminder that names it
    assert [h["exact"] for h in hits].count(True) == 1


def test_the_exact_customer_number_comes_first(book):
    hits = _ask(book, "c2")  # typed in lower case
    assert (hits[0]["kind"], hits[0]["id"], hits[0]["exact"]) == ("account", "C2", True)


def test_snippets_highlight_the_words_and_escape_html(book):
    hits = _ask(book, "pineapple", kinds=["email"])
    sent = next(h for h in hits if h["id"].startswith("out-"))
    assert "<mark>pineapple</mark>" in sent["snippet"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in sent["snippet"] and "<script>" not in sent["snippet"]
    assert sent["title"] == "Sent: Reminder: INV-1042 is overdue" and sent["date"].startswith("2026-11-14")


def test_accents_and_case_do_not_matter(book):
    assert [h["id"] for h in _ask(book, "MULLER", kinds=["account"])] == ["C3"]
    assert [h["id"] for h in _ask(book, "müller", kinds=["account"])] == ["C3"]
    assert [h["id"] for h in _ask(book, "naechste") ] == []  # no stemming or transliteration: honest misses
    assert len(_ask(book, "nächste")) == 1


def test_a_collector_never_gets_another_collectors_records_not_even_in_snippets(book):
    mine = _ask(book, "pineapple", scope=ALICE)
    assert mine and {h["customer_id"] for h in mine} == {"C1"}
    for h in mine:
        assert "secret" not in h["snippet"] and "8812" not in h["snippet"] and "Borealis" not in (h["customer_name"] or "")
    assert _ask(book, "secret", scope=ALICE) == []
    assert _ask(book, "Borealis", scope=ALICE) == []
    assert _ask(book, "INV-10420", scope=ALICE) == []  # bob's invoice: not even as an exact number
    assert _ask(book, "price", scope=ALICE) == []      # bob's dispute and bob's inbound mail
    assert _ask(book, "who", scope=ALICE) == []        # mail linked to no account: only for those who see all
    assert {h["customer_id"] for h in _ask(book, "pineapple", scope=BOB)} == {"C2"}
    with pytest.raises(NotFound):
        search.search(book, query="pineapple", customer_id="C2", scope=ALICE)


def test_a_stakeholder_finds_the_disputes_of_their_team_and_the_sops_only(book):
    billing = CaseScope(customers=CustomerScope(), team="billing")
    found = _ask(book, "pineapple", scope=billing)
    assert [(h["kind"], h["url"]) for h in found] == [("dispute", found[0]["url"])]
    assert found[0]["url"].startswith("/disputes/")
    assert _ask(book, "pineapple", scope=CaseScope(customers=CustomerScope(), team="sales")) == []
    assert [h["kind"] for h in _ask(book, "credit hold", scope=billing)] == ["sop"]


def test_filters_by_kind_customer_and_date(book):
    assert {h["kind"] for h in _ask(book, "pineapple", kinds=["call"])} == {"call"}
    assert {h["kind"] for h in _ask(book, "pineapple", kinds=["note", "dispute"])} == {"dispute"}
    notes = _ask(book, "credit", kinds=["note"])
    assert [(h["kind"], h["title"]) for h in notes] == [("note", "Note by alice")]
    assert {h["customer_id"] for h in _ask(book, "pineapple", customer_id="C1")} == {"C1"}
    import datetime as dt

    dated = _ask(book, "pineapple", date_from=dt.date(2026, 11, 13), date_to=dt.date(2026, 11, 14))
    assert {h["date"][:10] for h in dated} <= {"2026-11-13", "2026-11-14", "2026-11-23"}
    assert all(h["kind"] != "account" for h in dated)
    assert "2026-11-12" not in {h["date"][:10] for h in dated}  # alice's call is on the 12th
    with pytest.raises(InvalidInput, match="kind"):
        search.search(book, query="x", kinds=["gossip"])
    assert _ask(book, "pineapple", date_from=dt.date(2026, 12, 1), date_to=dt.date(2026, 11, 1)) == []


def test_a_quoted_phrase_must_appear_as_written(book):
    assert [h["kind"] for h in _ask(book, '"credit review"')] == ["note"]
    assert _ask(book, '"review credit"') == []


NASTY = ['"', '""', '"""', "*", "**", "NEAR", "NEAR(", 'NEAR("a" "b", 5)', "a OR", "AND", "NOT", "(", ")", ":",
         "^", "-", "'", "\\", "{name}:x", "name:acme", "x*", "%", "_", "'; DROP TABLE customers; --", "a & b | !c",
         "acme:*", "<->", "\x00", " ", "", "a" * 500, "ü" * 80, "💸 🙂", "INV-1042\"", 'pine"apple']


@pytest.mark.parametrize("query", NASTY)
def test_fts_syntax_and_odd_input_never_raise(book, query):
    out = search.search(book, query=query)
    assert isinstance(out["results"], list)


def test_fts_operators_are_plain_words(book):
    assert _ask(book, "Acme OR Borealis") == []  # "or" is a word to find, not an operator
    assert [h["id"] for h in _ask(book, "acme*", kinds=["account"])] == ["C1"]
    assert [h["id"] for h in _ask(book, '"acme', kinds=["account"])] == ["C1"]


def test_a_query_longer_than_the_limit_is_refused_in_words(book):
    with pytest.raises(InvalidInput, match="at most 500 characters"):
        search.search(book, query="x" * 501)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=60))
def test_any_text_is_a_valid_query(book, typed):
    search.search(book, query=typed)


def test_the_index_follows_every_write(book):
    with book.unit_of_work() as s:
        inv = s.scalar(select(Invoice).where(Invoice.invoice_id == "INV-2001"))
        inv.description = "Rush freight surcharge"
    assert [h["id"] for h in _ask(book, "surcharge")] == ["INV-2001"]
    assert _ask(book, "widgets") == []
    with book.unit_of_work() as s:  # a raw SQL write is indexed too (the database does it, not our code)
        s.execute(text("UPDATE customers SET name = 'Zephyr Holdings' WHERE customer_id = 'C1'"))
    assert [h["id"] for h in _ask(book, "zephyr")] == ["C1"]
    doc = sops.list_sops(book)[0]
    sops.delete(book, sop_id=doc["id"])
    assert _ask(book, "escalation matrix") == []


def test_reindex_rebuilds_and_finds_the_same(book):
    before = [(h["kind"], h["id"]) for h in _ask(book, "pineapple")]
    done = search.reindex(book)
    assert done["tables"]["invoices"] == 3 and done["tables"]["sop_documents"] == 1
    assert [(h["kind"], h["id"]) for h in _ask(book, "pineapple")] == before
    assert search.index_problems(book) == []


def test_postgresql_answers_from_the_gin_indexes_on_generated_columns(book):
    if book.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner")
    from arcollect.assistant import search_index as I

    with book.engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        for table in I.TABLES:
            plan = "\n".join(r[0] for r in conn.execute(text(
                f"EXPLAIN SELECT id FROM {table} WHERE {I.PG_COLUMN} @@ to_tsquery('simple', 'x:*')")))
            assert f"ix_fts_{table}" in plan, plan


def test_sqlite_triggers_exist_at_head(book):
    if book.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's FTS5 tables")
    with book.engine.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    from arcollect.assistant import search_index as I

    assert {f"fts_{t}_{k}" for t in I.TABLES for k in ("ai", "ad", "au")} <= names


def test_cli_ask_json_and_table(book, cli):
    import json

    out = cli("assistant", "ask", "INV-1042", "--format", "json")
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["results"][0]["id"] == "INV-1042" and body["results"][0]["exact"] is True
    table = cli("assistant", "ask", "pineapple", "--kind", "call")
    assert table.exit_code == 0 and "call" in table.stdout and "*pineapple*" in table.stdout
    bad = cli("assistant", "ask", "x", "--kind", "gossip")
    assert bad.exit_code == 1 and "kind" in bad.stderr
    again = cli("assistant", "reindex")
    assert again.exit_code == 0 and "invoices 3" in again.stdout
