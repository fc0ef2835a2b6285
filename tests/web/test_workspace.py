"""The workspace (#8): the main menu per role (only pages the role may open, from the permission table), no
Approve button a role cannot use, refusals and form errors in plain words and not left in the address bar,
times in the viewer's zone with the zone named."""

from __future__ import annotations

import datetime as dt
import re

from arcollect.auth.permissions import PERMISSIONS, PLAIN, principal_for
from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger
from arcollect.web import nav
from arcollect.web.deps import local_time
from tests.conftest import csrf_of

MENU = {  # what each role is offered, in order (Work | Manage | Settings)
    "collector": ["My day", "Accounts", "Outbox", "Disputes", "Triage"],
    "manager": ["My day", "Accounts", "Outbox", "Disputes", "Cash", "Team", "Escalations", "Triage", "Dashboard", "Reports", "Aging",
                "Imports", "Periods"],
    "admin": ["My day", "Accounts", "Outbox", "Disputes", "Cash", "Team", "Escalations", "Triage", "Dashboard", "Reports", "Aging",
              "Playbook", "Templates", "Users", "Imports", "Periods", "Jobs", "Assistant", "SOPs"],
    "stakeholder": ["Inbox", "Disputes"],
    "viewer": ["Accounts", "Outbox", "Disputes", "Dashboard", "Reports", "Aging"],
    "cash_app": ["Accounts", "Outbox", "Disputes", "Cash", "Dashboard", "Reports", "Aging", "Imports"],
}


def _menu(html: str) -> list[tuple[str, str]]:
    """(label, href) of the main navigation's links."""
    block = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert block, "the page has no main navigation"
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block.group(1))


def test_the_menu_offers_each_role_exactly_the_pages_it_may_open(served):
    logins = {"collector": served.collector, "manager": "mona", "admin": "admin", "stakeholder": "stan",
              "viewer": "vera", "cash_app": "cash"}
    for role, login in logins.items():
        web = served.browser(login)
        start = web.get("/")
        assert start.status_code == 200, (role, start.status_code)
        links = _menu(start.text)
        assert [label for _, label in links] == MENU[role], role
        for href, label in links:  # every link opens for the role: no link to a 403
            assert web.get(href).status_code == 200, (role, label, href)
        has_search = 'role="search"' in start.text
        assert has_search == (role != "stakeholder"), role  # no customer search that only answers 403


def test_the_menu_is_built_from_the_permission_table_not_from_role_names():
    for role in PERMISSIONS:
        me = principal_for(user_pk=1, login="x", role=role)
        groups = nav.menu(me)
        assert [g.label for g in groups] == [g for g in ("Work", "Manage", "Settings")
                                            if any(g == m.label for m in groups)]
        assert all(link.shown(me) for g in groups for link in g.links)
    source = open(nav.__file__, encoding="utf-8").read()
    assert ".role" not in source  # links follow permissions (auth.permissions), never a list of roles


def _agency_proposed_by_the_collector(served) -> tuple[str, str]:  # noqa: ANN001
    today = served.ctx.clock.today()
    cid = next(c for c in sorted(served.customers_of(served.collector))
               if ledger.customer_overview(served.ctx, customer_id=c, as_of=today).open_items)
    proposed = esc.propose(served.ctx.acting_as(served.collector), customer_id=cid, action="agency", note="silent")
    return cid, proposed["id"]


def test_a_collector_sees_no_approve_button_for_an_escalation_the_matrix_gives_a_manager(served):
    _, eid = _agency_proposed_by_the_collector(served)
    queue = served.browser(served.collector).get(f"/escalations?e={eid}")
    assert queue.status_code == 200
    assert f'action="/escalations/{eid}/approve"' not in queue.text and ">Approve<" not in queue.text
    assert ">Reject<" not in queue.text
    assert "Only a manager or an admin can approve a placement with a collection agency of this size" in queue.text
    managed = served.browser("mona").get(f"/escalations?e={eid}")
    assert f'action="/escalations/{eid}/approve"' in managed.text and ">Reject<" in managed.text


def test_a_refusal_says_in_plain_words_what_the_role_cannot_do(served):
    viewer = served.browser("vera")
    token = csrf_of(viewer.get("/customers"))
    refused = viewer.post("/outbox/1/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    assert "Your role (viewer) cannot manage a team&#39;s work" in refused.text
    stan = served.browser("stan")
    page = stan.get("/customers")
    assert page.status_code == 403 and "Your role (stakeholder) cannot open customer accounts" in page.text
    for text in (refused.text, page.text):
        assert not any(code in text for code in PLAIN), "a permission code reached the page"
    api = served.client.get("/api/v1/customers", headers=served.h("stan"))
    assert api.status_code == 403 and "cannot open customer accounts" in api.json()["detail"]


def test_every_permission_has_plain_words():
    assert set(PLAIN) == set().union(*PERMISSIONS.values())
    assert all(":" not in words for words in PLAIN.values())


def test_a_refused_form_shows_its_error_once_and_leaves_nothing_in_the_address_bar(served):
    web = served.browser(served.collector)
    today = served.ctx.clock.today()
    cid, item = next((c, ov.open_items[0]["invoice_id"]) for c in sorted(served.customers_of(served.collector))
                     if (ov := ledger.customer_overview(served.ctx, customer_id=c, as_of=today)).open_items)
    token = csrf_of(web.get(f"/customers/{cid}"))
    sent = web.post(f"/customers/{cid}/disputes", data={"csrf_token": token, "reason": "vibes", "invoices": item},
                    follow_redirects=False)
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/customers/{cid}"  # no ?error=… to linger, bookmark or forge
    shown = web.get(sent.headers["location"])
    assert 'class="alert error"' in shown.text and "Reason: " in shown.text
    again = web.get(sent.headers["location"])
    assert 'class="alert error"' not in again.text  # shown once
    forged = web.get(f"/customers/{cid}?error=Your+account+is+locked,+call+555")
    assert "Your account is locked" not in forged.text


def test_a_date_typed_wrong_names_its_field_in_words(served):
    cid, _ = _agency_proposed_by_the_collector(served)
    web = served.browser(served.collector)
    token = csrf_of(web.get(f"/customers/{cid}"))
    r = web.post(f"/customers/{cid}/escalations", data={"csrf_token": token, "action": "settlement",
                                                        "settle_amount": "10", "pay_by": "31/12"})
    assert "Pay by: “31/12” is not a date" in r.text
    admin = served.browser("admin")
    bad = admin.post("/admin/users", data={"csrf_token": csrf_of(admin.get("/admin")), "role": "viewer"})
    assert bad.status_code == 422 and "Login: Field required" in bad.text and "body.login" not in bad.text


def test_times_are_shown_in_the_viewers_zone_with_the_zone_named(served):
    noon = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert local_time(noon, "Europe/Berlin") == "2026-07-01 14:00 CEST"
    assert local_time("2026-11-23T09:30:00+00:00", "America/New_York") == "2026-11-23 04:30 EST"
    assert local_time(dt.datetime(2026, 11, 23, 9, 30), "UTC") == "2026-11-23 09:30 UTC"  # naive: UTC
    assert local_time(None, "UTC") == "" and local_time(dt.date(2026, 1, 2), "UTC") == "2026-01-02"
    served.ctx.settings.timezone = "Europe/Berlin"
    admin = served.browser("admin")  # signs in at the test clock's 09:30 UTC
    users = admin.get("/admin").text
    assert "2026-11-23 10:30 CET" in users
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d<", users)  # no time without its zone
