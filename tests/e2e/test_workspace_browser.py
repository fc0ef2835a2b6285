"""The workspace in a real browser (#8): the menu stays on one row at 1280 px and its Settings fold opens; at
390 px it folds under a Menu button that opens, and no page scrolls sideways; tables beside another column
end inside the viewport at 1280 px."""

from __future__ import annotations

from arcollect.escalations import service as esc
from arcollect.ledger import service as ledger

PAGES = ["/", "/customers", "/worklist", "/outbox", "/disputes", "/escalations", "/worklist/team",
         "/inbound/triage", "/aging", "/playbook", "/templates", "/admin", "/imports"]

VISIBLE_TOPS = """() => [...document.querySelectorAll('header.top nav a, header.top nav summary')]
    .filter(e => e.checkVisibility()).map(e => Math.round(e.getBoundingClientRect().top))"""


def _sign_in(page, live, login: str) -> None:  # noqa: ANN001
    page.goto("/login")
    page.fill("#login", login)
    page.fill("#password", live.served.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live.base_url + "/")


def _with_account_and_escalations(served) -> str:  # noqa: ANN001
    today = served.ctx.clock.today()
    mine = [c for c in sorted(served.customers_of(served.collector))
            if ledger.customer_overview(served.ctx, customer_id=c, as_of=today).open_items]
    for cid, action in zip(mine, ("agency", "credit_hold", "demand_letter")):
        esc.propose(served.ctx.acting_as(served.collector), customer_id=cid, action=action,
                    note="Gone silent after three reminders and two calls; the contract allows it")
    return mine[0]


def test_the_menu_stays_on_one_row_at_1280_and_its_settings_open(chromium, live):  # noqa: ANN001
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _sign_in(page, live, "admin")  # the admin has the most entries
    for path in ("/", "/escalations", "/customers"):
        page.goto(path)
        tops = page.evaluate(VISIBLE_TOPS)
        assert len(tops) >= 9 and len(set(tops)) == 1, (path, tops)  # no wrap
        header = page.locator("header.top").bounding_box()
        assert header["height"] < 60, header
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.get_by_text("Settings", exact=True).click()
    users = page.get_by_role("link", name="Users")
    assert users.is_visible()
    users.click()
    page.wait_for_url(live.base_url + "/admin")
    context.close()


def test_at_390_px_the_menu_folds_and_opens_and_no_page_scrolls_sideways(chromium, live):  # noqa: ANN001
    cid = _with_account_and_escalations(live.served)
    context = chromium.new_context(base_url=live.base_url, viewport={"width": 390, "height": 844},
                                   is_mobile=True, has_touch=True)
    page = context.new_page()
    _sign_in(page, live, "admin")
    accounts = page.get_by_role("link", name="Accounts", exact=True)
    assert not accounts.is_visible()  # folded
    page.get_by_text("Menu", exact=True).click()
    assert accounts.is_visible()
    assert page.get_by_role("search").is_visible()
    accounts.click()
    page.wait_for_url(live.base_url + "/customers")
    for path in [*PAGES, f"/customers/{cid}", "/escalations?status="]:
        page.goto(path)
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (path, width)
    context.close()


def test_tables_beside_another_column_end_inside_the_viewport_at_1280(chromium, live):  # noqa: ANN001
    cid = _with_account_and_escalations(live.served)
    for width in (1280, 1440):
        context = chromium.new_context(base_url=live.base_url, viewport={"width": width, "height": 900})
        page = context.new_page()
        _sign_in(page, live, "mona")
        for path in ("/escalations", "/outbox", f"/customers/{cid}", "/disputes"):
            page.goto(path)
            edges = page.evaluate("""() => [...document.querySelectorAll('main table')].map(t => {
                const box = t.getBoundingClientRect(), holder = t.parentElement;
                return {id: t.id, right: Math.round(box.right), hidden: holder.scrollWidth - holder.clientWidth}; })""")
            assert edges, path
            for e in edges:
                assert e["right"] <= width, (width, path, e)  # the table ends inside the viewport
                assert e["hidden"] <= 1, (width, path, e)     # and nothing of it hides behind a scrollbar
        page.goto("/escalations")
        assert page.locator("#escalations").get_by_role("button", name="Approve").first.is_visible()
        context.close()
