"""Workbench pages: My worklist with the account beside it, working an account (call, promise,
snooze, actions, flags, disputes), the team view and the playbook editor — with their refusals."""

from __future__ import annotations

import re

from tests.conftest import csrf_of


def _first(html: str) -> str:
    return re.search(r'data-customer="([^"]+)"', html).group(1)


def test_my_worklist_lists_only_my_accounts_by_priority_with_the_first_open(served):
    web = served.browser(served.collector)
    r = web.get("/worklist")
    assert r.status_code == 200
    ids = re.findall(r'data-customer="([^"]+)"', r.text)
    assert ids and set(ids) <= served.customers_of(served.collector)
    prios = [float(p) for p in re.findall(r'<span class="wl-prio" title="priority">([0-9.]+)</span>', r.text)]
    assert prios and prios == sorted(prios, reverse=True)
    assert f'hx-get="/worklist/panel/{ids[0]}" hx-trigger="load"' in r.text  # the first account loads beside
    assert "/static/worklist.js" in r.text
    named = web.get(f"/worklist?c={ids[1]}")  # a named account comes with the page (no JavaScript needed)
    assert f'<span class="muted">{ids[1]}</span></h2>' in named.text and 'id="call-form"' in named.text
    other = sorted(served.customers_of(served.other))[0]
    assert web.get(f"/worklist/panel/{other}").status_code == 404
    assert web.get(f"/worklist?collector={served.other}").status_code == 403


def test_logging_a_call_with_a_promise_from_the_panel(served):
    web = served.browser(served.collector)
    page = web.get("/worklist")
    cid = _first(page.text)
    token = csrf_of(page)
    r = web.post(f"/worklist/{cid}/call", headers={"HX-Request": "true"},
                 data={"csrf_token": token, "outcome": "promise", "note": "pays Friday",
                       "promise_amount": "25.00", "promise_date": "2026-11-27"})
    assert r.status_code == 200
    assert "Call logged: promise." in r.text and "Promise of 25.00" in r.text
    assert f'id="row-{cid}"' in r.text and 'hx-swap-oob="true"' in r.text
    account = web.get(f"/customers/{cid}")
    assert "Promise to pay" in account.text and "pays Friday" in account.text and "25.00" in account.text
    bad = web.post(f"/worklist/{cid}/promise", headers={"HX-Request": "true"},
                   data={"csrf_token": token, "amount": "abc", "date": "2026-11-27"})
    assert bad.status_code == 200 and 'class="alert error"' in bad.text and "amount" in bad.text
    assert web.post(f"/worklist/{cid}/call", data={"outcome": "no_answer"}).status_code == 403  # no CSRF token


def test_without_htmx_a_snooze_shows_its_outcome_in_the_next_accounts_panel(served):
    """A form submitted as a plain post (no JavaScript, or sent before htmx took the new panel over — seen in
    a loaded browser) redirects to the next account; the outcome used to be lost on the way."""
    web = served.browser(served.collector)
    page = web.get("/worklist")
    first = _first(page.text)
    r = web.post(f"/worklist/{first}/snooze", data={"csrf_token": csrf_of(page), "until": "2026-11-30"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/worklist?c=")
    shown = web.get(r.headers["location"])
    panel = shown.text.split('id="panel"', 1)[1]
    assert 'class="alert success"' in panel and "Snoozed until 2026-11-30." in panel
    assert shown.text.count("Snoozed until 2026-11-30.") == 1  # in the panel only, not again above the page
    assert "Snoozed until" not in web.get(r.headers["location"]).text  # shown once


def test_account_page_flags_disputes_and_actions(served):
    web = served.browser(served.collector)
    page = web.get("/worklist")
    cid = _first(page.text)
    account = web.get(f"/customers/{cid}")
    assert "On today's worklist" in account.text
    token = csrf_of(account)
    invoice = re.search(r'name="invoices" value="([^"]+)"', account.text).group(1)
    refused = web.post(f"/customers/{cid}/disputes", data={"csrf_token": token, "invoices": [invoice], "reason": "vibes"},
                       follow_redirects=True)
    assert "Reason: &#39;vibes&#39; is not one of" in refused.text and "No disputes." in refused.text
    r = web.post(f"/customers/{cid}/disputes", data={"csrf_token": token, "invoices": [invoice], "reason": "pricing",
                                                     "rows": [invoice], "amounts": [""]}, follow_redirects=True)
    assert re.search(r"/disputes/\d+", str(r.url)) and "routed to Sales" in r.text and invoice in r.text
    assert "in dispute" in web.get(f"/customers/{cid}").text
    r = web.post(f"/customers/{cid}/flags", data={"csrf_token": token, "risk": "high", "do_not_contact": "1"},
                 follow_redirects=True)
    assert "do not contact" in r.text and 'badge bad">high' in r.text
    viewer = served.browser("vera")
    assert 'id="dispute-form"' not in viewer.get(f"/customers/{cid}").text
    vtoken = csrf_of(viewer.get("/worklist"))
    assert viewer.post(f"/worklist/{cid}/snooze", data={"csrf_token": vtoken, "until": "2026-11-30"}).status_code == 403


def test_team_view_and_reassignment_are_for_managers(served):
    assert served.browser(served.collector).get("/worklist/team").status_code == 403
    admin = served.browser("admin")
    admin.get("/worklist")  # builds the day's worklist for the whole book
    page = admin.get("/worklist/team")
    assert page.status_code == 200 and served.collector in page.text
    cid = sorted(served.customers_of(served.collector))[0]
    r = admin.post("/worklist/team/reassign", data={"csrf_token": csrf_of(page), "customers": cid,
                                                     "collector": served.other})
    assert "1 account(s) moved" in r.text and cid in served.customers_of(served.other)


def test_playbook_editor_checks_previews_and_loads_for_admins_only(served):
    admin = served.browser("admin")
    page = admin.get("/playbook")
    assert page.status_code == 200 and "key_accounts" in page.text and "built-in default" in page.text
    text = re.search(r'<textarea[^>]*>(.*?)</textarea>', page.text, re.S).group(1)
    import html

    text = html.unescape(text)
    changed = text.replace("promise_grace_days: 3", "promise_grace_days: 5")
    r = admin.post("/playbook", data={"csrf_token": csrf_of(page), "text": changed, "action": "preview"})
    assert r.status_code == 200 and 'id="diff"' in r.text and "promise_grace_days: 5" in r.text and 'id="preview"' in r.text
    r = admin.post("/playbook", data={"csrf_token": csrf_of(page), "text": "name: x\nsegments: []\n", "action": "load"})
    assert r.status_code == 422 and "playbook:2: segments" in r.text
    r = admin.post("/playbook", data={"csrf_token": csrf_of(page), "action": "load"},
                   files={"upload": ("pb.yaml", changed.encode(), "text/yaml")})
    assert "Version 1 is in force." in r.text
    manager = served.browser("mona")
    mpage = manager.get("/playbook")
    assert "Load as the next version" not in mpage.text
    assert manager.post("/playbook", data={"csrf_token": csrf_of(mpage), "text": changed, "action": "load"}).status_code == 403


def test_the_account_page_says_when_todays_worklist_is_not_built_yet(served):
    cid = sorted(served.customers_of(served.collector))[0]
    admin = served.browser("admin")
    assert "Today's worklist is not built yet" in admin.get(f"/customers/{cid}").text
    admin.get("/worklist")  # builds the whole book's worklist for today
    page = admin.get(f"/customers/{cid}").text
    assert "On today's worklist" in page or "Nothing to do on this account today." in page


def test_an_approved_escalation_leaves_the_worklist_at_once(served):
    """Bug #8.4: the demand letter a manager approved (and so completed) stayed on the collector's worklist
    as "demand letter · needs approval" with Done/Skip."""
    from arcollect.escalations import service as esc
    from arcollect.worklist import service as worklists

    today = served.ctx.clock.today()
    worklists.run(served.ctx, as_of=today)
    mine = served.customers_of(served.collector)
    letter = next(e for e in esc.list_escalations(served.ctx, status="proposed")
                  if e["customer_id"] in mine and e["action"] == "demand_letter")
    cid = letter["customer_id"]
    web = served.browser(served.collector)
    panel = web.get(f"/worklist/panel/{cid}").text
    assert panel.count("needs approval") == 1 and f'/escalations?e={letter["id"]}' in panel
    assert "demand letter" in panel
    mona = served.browser("mona")
    queue = mona.get("/escalations")
    done = mona.post(f"/escalations/{letter['id']}/approve", data={"csrf_token": csrf_of(queue)}, follow_redirects=True)
    assert done.status_code == 200 and esc.detail(served.ctx, escalation_id=letter["id"])["status"] == "completed"
    panel = web.get(f"/worklist/panel/{cid}").text
    assert "needs approval" not in panel and f'/escalations?e={letter["id"]}' not in panel
    page = web.get("/worklist").text
    row = re.search(rf'<li id="row-{re.escape(cid)}".*?</li>', page, re.S)
    assert row is None or "approval" not in row.group(0)
