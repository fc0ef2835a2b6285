"""The assistant's settings over the API and on the web: admins only (anonymous 401, any other role 403 —
API and page alike); an admin's change is stored, audited with who and before → after, and read by the next
triaged reply; the page lists every kind and the answers for drafts."""

from __future__ import annotations

from sqlalchemy import select

from arcollect.audit import AuditEntry
from tests.conftest import csrf_of

URL = "/api/v1/assistant/auto-approval"


def test_only_admins_read_or_change_auto_approval_over_the_api(served) -> None:  # noqa: ANN001
    from arcollect.outreach import mailbox
    from arcollect.promises import service as promises
    from tests.assistant.replies import promising_reply
    from tests.assistant.test_agent import Box

    body = {"enabled": True, "threshold": 0.6}
    assert served.client.get(URL).status_code == 401
    for login in ("mona", served.collector, "vera"):
        assert served.client.get(URL, headers=served.h(login)).status_code == 403
        assert served.client.put(f"{URL}/record_promise", json=body, headers=served.h(login)).status_code == 403
        assert served.client.post("/api/v1/assistant/answers", json={"topic": "x", "answer": "y"},
                                  headers=served.h(login)).status_code == 403
    r = served.client.get(URL, headers=served.h("admin"))
    assert r.status_code == 200 and {i["kind"] for i in r.json()["items"]} >= {"record_promise", "log_reply"}
    assert served.client.put(f"{URL}/record_promise", json={"enabled": True, "threshold": 0.1},
                             headers=served.h("admin")).status_code == 422
    ok = served.client.put(f"{URL}/record_promise", json=body, headers=served.h("admin"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["enabled"] is True and ok.json()["source"] == "admin" and ok.json()["updated_by"] == "admin"
    with served.ctx.sessions() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_auto_rule"))
    assert entry.actor == "admin" and entry.changes["after"]["threshold"] == 0.6
    # the next reply fetched is approved alone
    ctx = served.ctx
    cid, inv, amount, raw = promising_reply(ctx, served.collector)
    before = promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())
    mailbox.fetch_mail(ctx, mailbox_factory=lambda: Box(raw))
    after = promises.list_promises(ctx, customer_id=cid, as_of=ctx.clock.today())
    assert [p["invoices"] for p in after if p not in before] == [[inv]]
    reset = served.client.delete(f"{URL}/record_promise", headers=served.h("admin"))
    assert reset.status_code == 200 and reset.json()["source"] == "setting" and reset.json()["enabled"] is False
    a = served.client.post("/api/v1/assistant/answers", json={"topic": "Bank details?", "answer": "IBAN GB33"},
                           headers=served.h("admin"))
    assert a.status_code == 201 and a.json()["language"] == "en"
    assert served.client.get("/api/v1/assistant/answers", headers=served.h("admin")).json()["items"][0]["answer"] == "IBAN GB33"
    assert served.client.delete(f"/api/v1/assistant/answers/{a.json()['id']}", headers=served.h("admin")).status_code == 200


def test_the_settings_page_is_for_admins_and_its_form_saves_an_audited_rule(served) -> None:  # noqa: ANN001
    for login in ("mona", served.collector):
        browser = served.browser(login)
        assert browser.get("/admin/assistant").status_code == 403
        token = csrf_of(browser.get("/worklist" if login != "mona" else "/worklist/team"))
        r = browser.post("/admin/assistant/rules/record_promise", data={"csrf_token": token, "enabled": "on",
                                                                         "threshold": "0.9"}, follow_redirects=False)
        assert r.status_code == 403
    admin = served.browser("admin")
    page = admin.get("/admin/assistant")
    assert page.status_code == 200 and "Record the promise to pay" in page.text and "server default" in page.text
    r = admin.post("/admin/assistant/rules/record_promise", data={"csrf_token": csrf_of(page), "enabled": "on",
                                                                   "threshold": "0.9"}, follow_redirects=False)
    assert r.status_code == 303
    shown = admin.get("/admin/assistant")
    assert "auto-approval on at 90 % confidence" in shown.text and "set by admin" in shown.text
    bad = admin.post("/admin/assistant/rules/record_promise", data={"csrf_token": csrf_of(shown), "enabled": "on",
                                                                     "threshold": "lots"})
    assert bad.status_code == 422 and "threshold" in bad.text
    with served.ctx.sessions() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.entity == "assistant_auto_rule")))
    assert [(e.actor, e.changes["after"]["enabled"]) for e in rows] == [("admin", True)]
    added = admin.post("/admin/assistant/answers", data={"csrf_token": csrf_of(shown), "topic": "Can you send a W-9?",
                                                         "keywords": "W-9 tax form", "answer": "Attached.", "language": "en"})
    assert added.status_code == 200 and "Can you send a W-9?" in added.text
