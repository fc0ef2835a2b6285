"""No duplicates from concurrent or repeated submissions (issue #7 item 6): one active dispute per invoice
and one open escalation per account, currency and action, enforced by the database whoever writes at once
(separate processes on the same SQLite file or PostgreSQL database, lined up at a barrier); an
Idempotency-Key on API POSTs and a per-render key on forms, so a retried or double-submitted request
returns the first result and creates nothing new. Outcomes only: nothing here measures time."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arcollect.disputes import service as disputes
from arcollect.escalations import service as esc
from arcollect.promises import service as promises
from arcollect.disputes.models import Dispute, DisputeItem
from arcollect.escalations.models import Escalation
from arcollect.promises.models import Promise
from arcollect.errors import Conflict
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Invoice
from tests.conftest import csrf_of, write_csv
from tests.security import duplicates_workers as W

TODAY = dt.date(2026, 11, 23)
WORKERS = 4
ROUNDS = 3
POLICY = """\
name: Concurrency policy
lookback_days: 180
rules:
  - {id: past_due_60, when: {oldest_days_past_due: 60}, propose: credit_hold}
approvals:
  demand_letter: [{approvers: [manager, admin]}]
  credit_hold: [{approvers: [manager, admin]}]
  settlement: [{approvers: [manager, admin]}]
  payment_plan: [{approvers: [manager, admin]}]
  write_off: [{approvers: [admin]}]
  agency: [{approvers: [manager, admin]}]
"""


def _ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


def _book(ctx, tmp_path, customers: list[str], invoices_each: int = 2):  # noqa: ANN001, ANN202
    """Customers C… with invoices C…-1, C…-2 (past due 70 days)."""
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector", *(f"{c},{c} Inc,USD,ann" for c in customers))
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount",
              *(f"{c}-{n},{c},{_ago(100)},{_ago(70)},{100 * n}.00" for c in customers
                for n in range(1, invoices_each + 1)))
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _race(target, db_url: str, tmp_path: Path, rounds_of: list[list]) -> list[tuple]:  # noqa: ANN001
    """Start one spawned process per entry of ``rounds_of``; in every round they all call at once
    (a barrier); returns (round, login, outcome, detail) of every call."""
    spawn = mp.get_context("spawn")
    barrier, results = spawn.Barrier(len(rounds_of)), spawn.Queue()
    procs = [spawn.Process(target=target, args=(db_url, tmp_path / f"home{n}", f"user{n}", barrier, results, rounds))
             for n, rounds in enumerate(rounds_of)]
    for p in procs:
        p.start()
    try:
        out = [results.get(timeout=300) for _ in range(sum(len(r) for r in rounds_of))]  # a guard against a hang
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return out


# ---- disputes ----------------------------------------------------------------------------------------


def test_concurrent_disputes_on_the_same_invoices_open_exactly_one(ctx, db_url, tmp_path):
    customers = [f"D{n}" for n in range(ROUNDS)]
    _book(ctx, tmp_path, customers)
    rounds = [[f"{c}-1", f"{c}-2"] for c in customers]
    results = _race(W.open_disputes, db_url, tmp_path, [rounds] * WORKERS)
    for n in range(ROUNDS):
        outcomes = Counter(kind for r, _, kind, _ in results if r == n)
        assert outcomes == {"ok": 1, "Conflict": WORKERS - 1}, [x for x in results if x[0] == n]
    refusal = next(detail for _, _, kind, detail in results if kind == "Conflict")
    assert re.search(r"invoice D\d-[12] is already in dispute \d+", refusal), refusal
    with ctx.sessions() as s:
        per_invoice = dict(s.execute(select(Invoice.invoice_id, func.count()).join(DisputeItem, DisputeItem.invoice_pk == Invoice.id)
                                     .group_by(Invoice.invoice_id)).all())
        assert s.scalar(select(func.count()).select_from(Dispute)) == ROUNDS
    assert per_invoice == {i: 1 for r in rounds for i in r}


def test_a_second_active_dispute_on_an_invoice_is_a_conflict_naming_the_first(ctx, tmp_path):
    _book(ctx, tmp_path, ["C1"])
    first = disputes.open_dispute(ctx, invoices=[("C1-1", "30.00")], reason="pricing")
    with pytest.raises(Conflict, match=f"invoice C1-1 is already in dispute {first['id']}"):
        disputes.open_dispute(ctx, invoices=[("C1-1", "20.00")], reason="quantity")
    # once the first is resolved, the invoice may be disputed again; reopening the first is then refused
    disputes.update(ctx, dispute_id=first["id"], status="resolved", resolution="rejected_valid")
    second = disputes.open_dispute(ctx, invoices=[("C1-1", None)], reason="quantity")
    with pytest.raises(Conflict, match=f"invoice C1-1 is already in dispute {second['id']}"):
        disputes.update(ctx, dispute_id=first["id"], status="in_review")
    assert [d["id"] for d in disputes.list_disputes(ctx, active=True)] == [second["id"]]


# ---- escalations ---------------------------------------------------------------------------------------


def test_concurrent_proposals_of_the_same_escalation_make_one(ctx, db_url, tmp_path):
    customers = [f"E{n}" for n in range(ROUNDS)]
    _book(ctx, tmp_path, customers)
    rounds = [(c, "credit_hold") for c in customers]
    results = _race(W.propose_escalations, db_url, tmp_path, [rounds] * WORKERS)
    for n in range(ROUNDS):
        outcomes = Counter(kind for r, _, kind, _ in results if r == n)
        assert outcomes == {"ok": 1, "Conflict": WORKERS - 1}, [x for x in results if x[0] == n]
    refusal = next(detail for _, _, kind, detail in results if kind == "Conflict")
    assert re.search(r"escalation \d+ already proposes a credit hold", refusal), refusal
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Escalation)) == ROUNDS


def test_daily_runs_and_people_proposing_at_once_propose_each_escalation_once(ctx, db_url, tmp_path):
    customers = [f"R{n}" for n in range(6)]
    _book(ctx, tmp_path, customers, invoices_each=1)
    esc.load_policy(ctx, text=POLICY)
    results = _race(W.run_escalations, db_url, tmp_path, [["run"], ["run"], ["R0"], ["R1"]])
    assert not [r for r in results if r[2] not in ("ok", "Conflict")], results  # the run never crashes
    with ctx.sessions() as s:
        per_customer = Counter(s.scalars(select(Escalation.customer_pk)))
    assert sorted(per_customer.values()) == [1] * len(customers), per_customer
    assert esc.run(ctx)["proposed"] == []  # and again: nothing new


# ---- idempotency keys: the API -------------------------------------------------------------------------


def _promise_body(served, customer: str) -> dict:  # noqa: ANN001
    return {"customer_id": customer, "amount": "10.00", "date": (served.ctx.clock.today() + dt.timedelta(days=7)).isoformat()}


def _promises(ctx, customer: str) -> int:  # noqa: ANN001
    return len(promises.list_promises(ctx, as_of=ctx.clock.today() + dt.timedelta(days=30), customer_id=customer))


def test_a_retried_api_post_with_the_same_key_replays_the_first_answer(served, clock):
    c = served.client
    cid = sorted(served.customers_of(served.collector))[0]
    h = {**served.h(served.collector), "Idempotency-Key": "promise-retry-1"}
    body = _promise_body(served, cid)
    first = c.post("/api/v1/promises", headers=h, json=body)
    assert first.status_code == 201, first.text
    again = c.post("/api/v1/promises", headers=h, json=body)
    assert (again.status_code, again.json()) == (201, first.json())
    assert again.headers.get("Idempotency-Replayed") == "true"
    assert _promises(served.ctx, cid) == 1
    changed = c.post("/api/v1/promises", headers=h, json={**body, "amount": "11.00"})
    assert changed.status_code == 422 and "Idempotency-Key" in changed.json()["detail"]
    elsewhere = c.post("/api/v1/activities", headers=h, json={"customer_id": cid, "kind": "note", "note": "x"})
    assert elsewhere.status_code == 422
    # keys are per user: another user's same key is another request
    other = sorted(served.customers_of(served.other))[0]
    theirs = c.post("/api/v1/promises", headers={**served.h(served.other), "Idempotency-Key": "promise-retry-1"},
                    json=_promise_body(served, other))
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    # without a key every POST is a new request; after the keys' lifetime the key is free again
    assert c.post("/api/v1/promises", headers=served.h(served.collector), json=body).status_code == 201
    clock.advance(dt.timedelta(hours=served.ctx.settings.idempotency_key_hours, minutes=1))
    later = c.post("/api/v1/promises", headers=h, json=_promise_body(served, cid))
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert _promises(served.ctx, cid) == 3


def test_a_failed_request_does_not_keep_its_key(served):
    c = served.client
    cid = sorted(served.customers_of(served.collector))[0]
    h = {**served.h(served.collector), "Idempotency-Key": "fix-and-retry"}
    bad = c.post("/api/v1/promises", headers=h, json={**_promise_body(served, cid), "amount": "0.00"})
    assert bad.status_code == 422
    good = c.post("/api/v1/promises", headers=h, json=_promise_body(served, cid))
    assert good.status_code == 201 and _promises(served.ctx, cid) == 1


def test_a_retried_dispute_replays_and_a_second_one_is_a_409(served):
    c = served.client
    me = served.h(served.collector)
    cid = sorted(served.customers_of(served.collector))[0]
    items = ledger.customer_overview(served.ctx, customer_id=cid, as_of=served.ctx.clock.today()).open_items
    body = {"invoices": [{"invoice_id": items[0]["invoice_id"]}], "reason": "pricing"}
    first = c.post("/api/v1/disputes", headers={**me, "Idempotency-Key": "d-1"}, json=body)
    again = c.post("/api/v1/disputes", headers={**me, "Idempotency-Key": "d-1"}, json=body)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    fresh = c.post("/api/v1/disputes", headers={**me, "Idempotency-Key": "d-2"}, json=body)
    assert fresh.status_code == 409 and f"already in dispute {first.json()['id']}" in fresh.json()["detail"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db_url: str, home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "ARCOLLECT_DATABASE_URL": db_url, "ARCOLLECT_HOME": str(home),
           "ARCOLLECT_SECRET_KEY": "test-secret-key-for-the-duplicates-tests",
           "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "arcollect.web.factory:app_from_settings", "--factory",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def _wait_up(proc: subprocess.Popen, base: str) -> None:
    import httpx

    for _ in range(600):  # up to about a minute for the server to import and listen
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        threading.Event().wait(0.1)
    raise RuntimeError("the server did not start")


def test_five_concurrent_posts_with_one_key_to_two_servers_create_one_promise(ctx, db_url, tmp_path):
    import httpx

    from arcollect.auth import service as auth

    _book(ctx, tmp_path, ["P1"])
    auth.add_user(ctx, login="ann", role="collector", password="correct horse battery")
    token = auth.create_token(ctx, login="ann")[1]
    servers = [_serve(db_url, tmp_path / f"srv{n}") for n in range(2)]
    try:
        for proc, base in servers:
            _wait_up(proc, base)
        body = {"customer_id": "P1", "amount": "50.00", "invoices": ["P1-1"],
                "date": (dt.date.today() + dt.timedelta(days=5)).isoformat()}  # the servers run on the real clock
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "7b0c1c3e-five-at-once"}
        barrier, answers = threading.Barrier(5), [None] * 5

        def post(n: int) -> None:
            with httpx.Client(base_url=servers[n % 2][1], timeout=120) as client:
                barrier.wait()
                r = client.post("/api/v1/promises", headers=headers, json=body)
                answers[n] = (r.status_code, r.json())

        threads = [threading.Thread(target=post, args=(n,)) for n in range(5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for proc, _ in servers:
            proc.terminate()
            proc.wait(timeout=30)
    assert all(a is not None and a[0] == 201 for a in answers), answers
    assert len({json.dumps(a[1], sort_keys=True) for a in answers}) == 1, answers
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Promise)) == 1


# ---- idempotency keys: forms ---------------------------------------------------------------------------


def _key_of(html: str, form_id: str) -> str:
    form = re.search(rf'<form [^>]*id="{form_id}".*?</form>', html, re.S)
    assert form, f"no form {form_id}"
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form.group(0))
    assert key, f"the form {form_id} carries no idempotency key"
    return key.group(1)


def test_a_double_submitted_promise_form_records_one_promise(served):
    web = served.browser(served.collector)
    cid = sorted(served.customers_of(served.collector))[0]
    panel = web.get(f"/worklist/panel/{cid}")
    key = _key_of(panel.text, "promise-form")
    assert _key_of(web.get(f"/worklist/panel/{cid}").text, "promise-form") != key  # a new key per render
    form = {"csrf_token": csrf_of(panel), "idempotency_key": key, "amount": "12.00",
            "date": (served.ctx.clock.today() + dt.timedelta(days=3)).isoformat(), "channel": "call"}
    first = web.post(f"/worklist/{cid}/promise", data=form, follow_redirects=False)
    second = web.post(f"/worklist/{cid}/promise", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert _promises(served.ctx, cid) == 1
    htmx = {**form, "idempotency_key": _key_of(panel.text, "call-form")}
    one = web.post(f"/worklist/{cid}/promise", data=htmx, headers={"HX-Request": "true"})
    two = web.post(f"/worklist/{cid}/promise", data=htmx, headers={"HX-Request": "true"})
    assert one.status_code == two.status_code == 200 and "Promise of 12.00" in two.text
    assert _promises(served.ctx, cid) == 2


def test_a_double_submitted_dispute_form_opens_one_dispute(served):
    web = served.browser(served.collector)
    cid = sorted(served.customers_of(served.collector))[0]
    account = web.get(f"/customers/{cid}")
    invoice = re.search(r'name="invoices" value="([^"]+)"', account.text).group(1)
    form = {"csrf_token": csrf_of(account), "idempotency_key": _key_of(account.text, "dispute-form"),
            "invoices": [invoice], "reason": "pricing"}
    first = web.post(f"/customers/{cid}/disputes", data=form, follow_redirects=False)
    second = web.post(f"/customers/{cid}/disputes", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303 and "/disputes/" in first.headers["location"]
    assert first.headers["location"] == second.headers["location"]
    assert len(disputes.list_disputes(served.ctx, customer_id=cid)) == 1
