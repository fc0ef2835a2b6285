"""`make screenshots`: refresh the README's images in docs/screenshots/ deliberately.

Starts the app on a free loopback port over a fresh demo ledger (a temporary ARCOLLECT_HOME, SQLite), sets up
the states the pictures show through the REST API (a worklist run, a dunning run, a dispute with an action
item for Billing, a proposed escalation, a logged call), then Chromium (Playwright, /usr/bin/chromium) signs
in and takes each page at 1280 px wide. The tests never write there (their screenshots go to build/).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from arcollect.auth import service as auth  # noqa: E402
from arcollect.clock import FixedClock  # noqa: E402
from arcollect.context import build_context  # noqa: E402
from arcollect.ledger import service as ledger  # noqa: E402
from arcollect.settings import Settings  # noqa: E402
from arcollect.web.factory import create_app  # noqa: E402

OUT = Path(os.environ.get("ARCOLLECT_SCREENSHOT_OUT") or REPO / "docs" / "screenshots")  # elsewhere: to look first
TODAY = dt.date(2026, 11, 23)  # the day the demo book ends: the same pictures on every run
PASSWORD = "correct horse battery"
WIDTH = 1280


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CASH_MAP = "date=date, amount=amount, currency=currency, payer=payer, text=text, reference=reference, date_format=%Y-%m-%d"


def _bank_day(ctx, api, customers: list[str]) -> str | None:  # noqa: ANN001
    """Yesterday's bank statement over the demo book (CSV), uploaded and matched through the API: payments that
    name their invoices (applied at once), short ones (proposed), one nobody's (unidentified) and a bank fee.
    Returns a proposed line's id for the review picture."""
    from sqlalchemy import select

    from arcollect.ledger.models import Customer

    day = (TODAY - dt.timedelta(days=1)).isoformat()
    rows = ["date,amount,currency,payer,text,reference"]
    with ctx.sessions() as s:
        names = {cid: name for cid, name in s.execute(select(Customer.customer_id, Customer.name)
                                                              .where(Customer.customer_id.in_(customers)))}
    n = 0
    for cid in customers:
        items = ledger.customer_overview(ctx, customer_id=cid, as_of=TODAY).open_items
        if not items:
            continue
        item = items[0]
        amount = item["open_amount"] if n < 6 else (item["open_amount"] * 3 / 4).quantize(item["open_amount"])
        text = f"Payment {item['invoice_id']}" if n % 2 else f"INV {item['invoice_id']} thank you"
        payer = names[cid].replace(",", " ").upper()
        rows.append(f"{day},{amount},{item['currency']},{payer},{text},BANK{n:04d}")
        n += 1
        if n == 9:
            break
    rows.append(f"{day},1250.00,USD,J SMITH HOLDINGS,TRANSFER 2211,BANK0100")
    rows.append(f"{day},-18.50,USD,,ACCOUNT FEES NOVEMBER,BANK0101")
    data = ("\n".join(rows) + "\n").encode()
    api("admin", "POST", "/cash/statements", files={"file": ("statement-yesterday.csv", data, "text/csv")},
        params={"format": "csv", "mapping": CASH_MAP})
    api("admin", "POST", "/cash/match", json={})
    proposed = api("admin", "GET", "/cash/lines?status=proposed") or {"items": []}
    return proposed["items"][0]["id"] if proposed["items"] else None


def main() -> int:
    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="arcollect-shots-"))
    clock = FixedClock(dt.datetime.combine(TODAY, dt.time(9, 30), tzinfo=dt.timezone.utc))
    ctx = build_context(Settings(home=home, database_url=f"sqlite:///{home / 'arcollect.db'}"), clock=clock)
    ledger.load_demo(ctx, customers=200, seed=42, as_of=TODAY)
    collectors = sorted(ledger.customer_facets(ctx, scope=ledger.EVERYTHING)["collectors"])
    collector = collectors[0]
    tokens = {}
    for login, role, team in (("admin", "admin", None), (collector, "collector", None), ("stan", "stakeholder", "billing")):
        auth.add_user(ctx, login=login, role=role, team=team, password=PASSWORD)
        tokens[login] = auth.create_token(ctx, login=login)[1]

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(ctx), host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    problems: list[str] = []

    def api(login: str, method: str, path: str, **kwargs):  # noqa: ANN003, ANN202
        r = httpx.request(method, base + "/api/v1" + path, headers={"Authorization": f"Bearer {tokens[login]}"},
                          timeout=120, **kwargs)
        if r.status_code >= 400:
            problems.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            return None
        return r.json()

    # the states the pictures show: a payment model learnt from the demo's history (expected dates and risk on
    # the account page, p_late in the worklist's priority), then the day's run
    from arcollect.risk import service as risk

    risk.train(ctx, as_of=TODAY)
    api("admin", "POST", "/worklist/run", json={})
    api("admin", "POST", "/dunning/run", json={})
    mine = [c["customer_id"] for c in (api(collector, "GET", "/customers?limit=200") or {"items": []})["items"]]
    with_items = [cid for cid in mine
                  if (api(collector, "GET", f"/invoices?customer_id={cid}&status=open") or {"items": []})["items"]]
    account, other = with_items[0], with_items[1]
    invoice = api(collector, "GET", f"/invoices?customer_id={account}&status=open")["items"][0]["invoice_id"]
    dispute = api(collector, "POST", "/disputes", json={"invoices": [{"invoice_id": invoice}],
                                                        "reason": "billing_error", "note": "VAT charged twice"})
    if dispute:
        api(collector, "POST", f"/disputes/{dispute['id']}/items", json={"title": "Check the VAT rate on the invoice"})
    api(collector, "POST", "/escalations", json={"customer_id": other, "action": "demand_letter",
                                                 "note": "No answer to three reminders"})

    cash_line = _bank_day(ctx, api, [c for c in mine if c not in (account, other)])

    shots: list[tuple[str, str, str]] = [  # (login, path, picture)
        ("admin", "/", "dashboard"), ("admin", "/aging", "aging"), ("admin", f"/customers/{account}", "account"),
        ("admin", "/outbox", "outbox"), ("admin", "/templates/en/reminder", "template-editor"),
        ("admin", "/inbound/triage", "triage"), ("admin", "/imports", "imports"), ("admin", "/admin", "admin"),
        ("admin", "/escalations", "escalation-queue"), (collector, "/worklist", "worklist"),
        ("admin", "/admin/assistant", "assistant-settings"), ("admin", "/reports", "reports"),
        ("stan", "/inbox", "stakeholder-inbox"),
    ]
    if dispute:
        shots.append(("admin", f"/disputes/{dispute['id']}", "dispute"))
    shots.append(("admin", "/cash", "cash"))
    if cash_line:
        shots.append(("admin", f"/cash?status=proposed&line={cash_line}", "cash-review"))
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        pages = {}
        for login in dict.fromkeys(s[0] for s in shots):
            context = browser.new_context(base_url=base, viewport={"width": WIDTH, "height": 800}, locale="en-US",
                                          timezone_id="UTC")
            page = context.new_page()
            page.goto("/login")
            page.fill("#login", login)
            page.fill("#password", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_load_state("networkidle")
            pages[login] = page
        for login, path, name in shots:
            page = pages[login]
            response = page.goto(path)
            page.wait_for_load_state("networkidle")
            if response is None or response.status != 200:
                problems.append(f"{path}: {response.status if response else 'no response'}")
                continue
            page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
            print(f"docs/screenshots/{name}.png  ← {path}")
        # worked: the collector logs a call on the first account of the worklist
        api(collector, "POST", "/activities", json={"customer_id": account, "kind": "call",
                                                    "outcome": "left_voicemail", "note": "Left a message for AP"})
        page = pages[collector]
        page.goto("/worklist")
        page.wait_for_load_state("networkidle")
        worked = "worklist-worked"
        page.screenshot(path=str(OUT / f"{worked}.png"), full_page=True)
        print(f"docs/screenshots/{worked}.png  ← /worklist after a call")
        browser.close()
    server.should_exit = True
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
