"""The incremental daily run decides exactly what the full one does (both databases): the same simulated
history — payments, promises (broken by the date alone, unpaid), a dispute opened then rejected, a
contact change, a flag, a new playbook version, windows opening as days pass —
is played on two databases, one evaluated in full every day, the other incrementally; every action and
every worklist entry is compared. A same-day re-run with nothing changed evaluates no account."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from arcollect.clock import FixedClock
from arcollect.context import build_context
from arcollect.disputes import service as disputes
from arcollect.ledger import service as ledger
from arcollect.ledger.customers import update_customer
from arcollect.ledger.models import Customer
from arcollect.playbook import service as playbooks
from arcollect.playbook.rules import default_text
from arcollect.settings import Settings
from arcollect.worklist import service as worklists
from arcollect.worklist.models import Action, WorklistEntry
from tests.conftest import fresh_database, migrated_pg_database, write_csv

START = dt.date(2026, 11, 23)
D = lambda n: (START + dt.timedelta(days=n)).isoformat()  # noqa: E731


@pytest.fixture(scope="session")
def pg_twin(pg_cluster) -> str:  # noqa: ANN001
    return migrated_pg_database(pg_cluster, "arcollect_twin")


@pytest.fixture
def twin_url(db_url, request, tmp_path) -> str:  # noqa: ANN001
    """A second empty database of the same backend as ``db_url``."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    return fresh_database(request, backend, tmp_path / "twin.db", pg_fixture="pg_twin")


def _book(ctx, tmp_path) -> None:  # noqa: ANN001
    rows = [f"C{n},Customer {n},USD,alice,US,America/New_York,{'key' if n % 3 == 0 else 'mid'}" for n in range(1, 31)]
    # C9…C30: invoices whose days past due cross the playbook's stages during the simulation
    spread = [f"X{n}{k},C{n},{D(-150)},{D(-((n * 7 + k * 23) % 120) + 10)},{100 + n * 10 + k}.00,USD"
              for n in range(9, 31) for k in range(3)]
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,country,timezone,segment", *rows)
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role", "C1,ap@c1.example,Ann Payable,ap",
              "C2,ap@c2.example,Bob Payable,ap")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"A1,C1,{D(-80)},{D(-40)},9000.00,USD", f"A2,C1,{D(-30)},{D(-12)},1000.00,USD",
              f"B1,C2,{D(-40)},{D(-10)},800.00,USD", f"G1,C3,{D(-20)},{D(-3)},700.00,USD",
              f"G2,C3,{D(-50)},{D(-29)},300.00,USD", f"D1,C4,{D(-30)},{D(-1)},100.00,USD",
              f"E1,C5,{D(-10)},{D(20)},500.00,USD",  # quiet until its reminders start
              f"F1,C6,{D(-10)},{D(6)},450.00,USD", f"H1,C7,{D(-10)},{D(60)},120.00,USD",
              f"K1,C8,{D(-90)},{D(-60)},2500.00,USD", *spread)
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
              f"P1,C4,{D(-2)},100.00,D1,USD", f"P2,C4,{D(-2)},50.00,,USD")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i"), ("payments", "p")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    # C31: the next day its final notice moves on (cancelled) while a new invoice's reminder comes due: the
    # cancelled notice holds nothing back, on the day's first run as on its second
    write_csv(tmp_path / "c31.csv", "customer_id,name,currency,collector,country,timezone,segment",
              "C31,Customer 31,USD,alice,US,America/New_York,mid")
    write_csv(tmp_path / "i31.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"Y1,C31,{D(-120)},{D(-90)},5000.00,USD", f"Y2,C31,{D(-30)},{D(0)},1000.00,USD")
    for kind, name in (("customers", "c31"), ("invoices", "i31")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    # C32: quiet until its courtesy reminder's window opens (day 5) and its first reminder's (day 9)
    write_csv(tmp_path / "c32.csv", "customer_id,name,currency,collector,country,timezone,segment",
              "C32,Customer 32,USD,alice,US,America/New_York,mid")
    write_csv(tmp_path / "i32.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              f"Z1,C32,{D(-22)},{D(8)},640.00,USD")
    for kind, name in (("customers", "c32"), ("invoices", "i32")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _events(ctx, day: int, tmp_path) -> None:  # noqa: ANN001
    """What happens on a day of the simulation before its run (the same on both databases)."""
    if day == 1:
        write_csv(tmp_path / f"p{day}.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
                  f"P3,C1,{D(1)},1000.00,A2,USD", f"P4,C8,{D(1)},2500.00,K1,USD")
        assert not ledger.import_file(ctx, kind="payments", path=tmp_path / f"p{day}.csv").errors
        # broken on day 6 (its date + 3 days' grace passed unpaid): nothing written that day, the date does it
        worklists.add_promise(ctx, customer_id="C10", amount="50.00", promised_date=START + dt.timedelta(days=2))
    elif day == 2:
        worklists.add_promise(ctx, customer_id="C2", amount="800.00", promised_date=START + dt.timedelta(days=4))
    elif day == 3:
        disputes.open_dispute(ctx, customer_id="C3", invoices=[("G1", None)], reason="pricing", note="price")
        write_csv(tmp_path / f"ct{day}.csv", "customer_id,email,name,role", "C1,pay@c1.example,Ann Payable,ap")
        assert not ledger.import_file(ctx, kind="contacts", path=tmp_path / f"ct{day}.csv").errors
    elif day == 4:
        playbooks.load(ctx, text=default_text().replace("every: 7", "every: 5"))
    elif day == 5:
        update_customer(ctx, customer_id="C1", changes={"do_not_contact": True})
    elif day == 7:  # the dispute is rejected: its invoice is dunned again
        (dispute,) = disputes.list_disputes(ctx, customer_id="C3")
        disputes.update(ctx, dispute_id=dispute["id"], status="resolved", resolution="rejected_valid")
    elif day == 8:
        worklists.log_call(ctx, customer_id="C3", outcome="no_answer")


def _state(ctx) -> tuple[list, list]:  # noqa: ANN001
    with ctx.sessions() as s:
        acts = sorted((cid, a.step, a.channel, a.proposed_on, a.due_on, tuple(a.invoices), tuple(sorted(a.amounts.items())),
                       tuple(a.reasons), a.status, a.close_note, a.needs_approval, a.playbook_version, a.scheduled_at)
                      for a, cid in s.execute(select(Action, Customer.customer_id)
                                              .join(Customer, Customer.id == Action.customer_pk)))
        entries = sorted((cid, e.as_of, e.priority, tuple(sorted(e.parts.items())), tuple(e.notes), e.segment)
                         for e, cid in s.execute(select(WorklistEntry, Customer.customer_id)
                                                 .join(Customer, Customer.id == WorklistEntry.customer_pk)))
    return acts, entries


def test_incremental_and_full_runs_decide_the_same_over_a_simulated_history(db_url, twin_url, tmp_path):
    runs = {}
    for mode, url in (("full", db_url), ("incremental", twin_url)):
        clock = FixedClock(dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc))
        ctx = build_context(Settings(home=tmp_path / mode, database_url=url), clock=clock, actor="test",
                            migrate_schema=False)
        try:
            _book(ctx, tmp_path)
            log = []
            for day in range(12):
                _events(ctx, day, tmp_path)
                result = worklists.run(ctx, as_of=clock.today(), full=mode == "full")
                log.append((result["proposed"], result["cancelled"]))
                again = worklists.run(ctx, as_of=clock.today(), full=mode == "full")
                assert again["proposed"] == again["cancelled"] == 0, (day, again)  # CONTRACT §5
                if mode == "incremental":  # nothing changed since: nothing to evaluate
                    assert again["evaluated"] == 0, (day, again)
                    if day in (6, 7, 9, 10, 11):  # quiet days: the accounts that wait are skipped
                        assert result["skipped"] > 0, (day, result)
                    if day == 10:  # only what changed or what the date moves is evaluated
                        assert result["evaluated"] < result["accounts"] // 2, (day, result)
                third = worklists.run(ctx, as_of=clock.today(), full=mode == "full")
                assert third["proposed"] == third["cancelled"] == 0, (day, third)
                if mode == "incremental":  # nothing changed since: nothing to evaluate
                    assert third["evaluated"] == 0 and third["skipped"] == third["accounts"] > 0, (day, third)
                clock.advance(dt.timedelta(days=1))
            runs[mode] = (log, _state(ctx))
        finally:
            ctx.dispose()
    assert runs["incremental"][0] == runs["full"][0]
    full_actions, full_entries = runs["full"][1]
    inc_actions, inc_entries = runs["incremental"][1]
    assert len(full_actions) > 10 and {a[8] for a in full_actions} >= {"open", "cancelled"}
    assert inc_actions == full_actions
    assert inc_entries == full_entries


def test_a_changed_input_is_evaluated_again_the_same_day(ctx, tmp_path):
    _book(ctx, tmp_path)
    first = worklists.run(ctx, as_of=START)
    assert first["evaluated"] == first["accounts"] and first["skipped"] == 0
    update_customer(ctx, customer_id="C3", changes={"credit_hold": True})  # a flag is
    again = worklists.run(ctx, as_of=START)
    assert again["evaluated"] == 1 and again["skipped"] == again["accounts"] - 1
    forced = worklists.run(ctx, as_of=START, full=True)
    assert forced["evaluated"] == forced["accounts"] and forced["proposed"] == 0


def test_a_second_full_run_of_the_day_proposes_nothing_more(ctx, clock, tmp_path):
    # C31's final notice moves on the next day (cancelled by the run) while its new invoice's reminder is
    # due: the day's second run proposes what the first did, nothing more (CONTRACT §5)
    _book(ctx, tmp_path)
    worklists.run(ctx, as_of=START, full=True)
    clock.advance(dt.timedelta(days=1))
    first = worklists.run(ctx, as_of=clock.today(), full=True)
    second = worklists.run(ctx, as_of=clock.today(), full=True)
    assert (second["proposed"], second["cancelled"]) == (0, 0)
    with ctx.sessions() as s:
        c31 = {(a.step, a.status) for a in s.scalars(select(Action).join(Customer, Customer.id == Action.customer_pk)
                                                     .where(Customer.customer_id == "C31",
                                                            Action.proposed_on == clock.today()))}
        notice = s.scalars(select(Action).join(Customer, Customer.id == Action.customer_pk)
                           .where(Customer.customer_id == "C31", Action.step == "final_notice")).one()
    assert notice.status == "cancelled" and first["cancelled"] > 0
    assert ("reminder", "open") in c31
