"""Sessions and searches: signing out ends the session on the server (a copied cookie stops working, the
user's other browsers stay signed in); a password change ends every session and revokes the user's API
tokens; CSRF tokens belong to one session; `%` and `_` typed into a search match themselves."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from arcollect import audit
from arcollect.auth import service as auth
from arcollect.ledger import service as ledger
from arcollect.ledger.scope import EVERYTHING
from arcollect.outreach import mailbox
from tests.conftest import csrf_of, write_csv

SESSION = "arcollect_session"


def _signed_in(client: TestClient) -> bool:
    r = client.get("/aging", follow_redirects=False)
    return r.status_code == 200


def test_a_copied_session_cookie_stops_working_after_logout_and_other_browsers_stay_signed_in(served):
    office, laptop = served.browser("vera"), served.browser("vera")
    copied = office.cookies.get(SESSION)
    assert copied and _signed_in(office) and _signed_in(laptop)
    out = office.post("/logout", data={"csrf_token": csrf_of(office.get("/aging"))}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = TestClient(served.app)
    replay.cookies.set(SESSION, copied)
    r = replay.get("/aging", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert not _signed_in(office)
    assert _signed_in(laptop)  # signing out one browser leaves the others signed in


def test_a_session_ends_after_its_lifetime(served):
    browser = served.browser("vera")
    served.ctx.clock.advance(dt.timedelta(hours=served.ctx.settings.session_hours, seconds=1))
    assert not _signed_in(browser)


def test_a_password_change_ends_every_session_and_revokes_the_users_api_tokens(served):
    office, laptop = served.browser("vera"), served.browser("vera")
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 200
    auth.set_password(served.ctx, login="vera", password="a brand new passphrase")
    assert not _signed_in(office) and not _signed_in(laptop)
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 401
    tokens = auth.list_tokens(served.ctx, login="vera")
    assert tokens and all(t["revoked_at"] is not None for t in tokens)
    with served.ctx.sessions() as s:
        entry = s.scalars(select(audit.AuditEntry).where(audit.AuditEntry.action == "password")).all()[-1]
    assert entry.entity_key == "vera" and entry.changes["revoked_tokens"] == [t["id"] for t in tokens]
    # other users' tokens are untouched
    assert served.client.get("/api/v1/me", headers=served.h("cash")).status_code == 200


def test_the_csrf_token_belongs_to_one_session_and_rotates_at_sign_in(served):
    anonymous = TestClient(served.app)
    before = csrf_of(anonymous.get("/login"))
    r = anonymous.post("/login", data={"login": "admin", "password": served.PASSWORD, "csrf_token": before},
                       follow_redirects=False)
    assert r.status_code == 303  # the sign-in form works with the signed-out page's token
    mine = csrf_of(anonymous.get("/admin"))
    assert mine != before
    other = served.browser("admin")
    theirs = csrf_of(other.get("/admin"))
    assert theirs != mine
    for token in (before, theirs):  # the pre-sign-in token and another session's token are refused
        r = anonymous.post("/admin/users", data={"login": "mallory", "role": "viewer", "csrf_token": token})
        assert r.status_code == 403 and "security token" in r.text
    # a signed-out page's token with its cookie planted in the session's browser (cookie tossing) is refused
    stranger = TestClient(served.app)
    planted = csrf_of(stranger.get("/login"))
    anonymous.cookies.set("arcollect_csrf", stranger.cookies.get("arcollect_csrf"))
    r = anonymous.post("/admin/users", data={"login": "mallory", "role": "viewer", "csrf_token": planted})
    assert r.status_code == 403 and "security token" in r.text
    assert "mallory" not in {u["login"] for u in auth.list_users(served.ctx)}
    r = anonymous.post("/admin/users", data={"login": "mallory", "role": "viewer", "csrf_token": mine},
                       follow_redirects=False)
    assert r.status_code in (200, 303) and "mallory" in {u["login"] for u in auth.list_users(served.ctx)}


def _customers(ctx, tmp_path) -> None:  # noqa: ANN001
    path = write_csv(tmp_path / "customers.csv", "customer_id,name,email",
                     "K1,100% Pure Juice,ap@pure.example", "K2,Ten Percent Ltd,ap@ten.example",
                     "K3,A_B Trading,ap@abc.example", "K4,AXB Trading,ap@axb.example")
    result = ledger.import_file(ctx, kind="customers", path=path)
    assert not result.errors, result.errors
    contacts = write_csv(tmp_path / "contacts.csv", "customer_id,email", "K3,billing@abc.example")
    assert not ledger.import_file(ctx, kind="contacts", path=contacts).errors


def test_percent_and_underscore_in_a_customer_search_match_only_themselves(ctx, tmp_path):
    _customers(ctx, tmp_path)

    def found(q: str) -> list[str]:
        return sorted(c["customer_id"] for c in ledger.list_customers(ctx, scope=EVERYTHING, q=q)[0])

    assert found("%") == ["K1"]
    assert found("_") == ["K3"]
    assert found("a_b") == ["K3"]
    assert found("\\") == []
    assert found("trading") == ["K3", "K4"]


class FakeMailbox:
    """The IMAP port, holding a list of raw messages."""

    def __init__(self, raws: list[bytes]) -> None:
        self.raws, self.done_uids = raws, []

    def fetch_new(self) -> list[tuple[Any, bytes]]:
        return list(enumerate(self.raws))

    def done(self, uids: list[Any]) -> None:
        self.done_uids += uids

    def close(self) -> None:
        pass


def _mail(sender: str, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "ar@example.com", "about our account"
    msg["Message-ID"] = f"<m{n}@example.net>"
    msg.set_content("Hello, a question about the statement.")
    return bytes(msg)


def test_a_senders_domain_with_wildcards_links_no_customer(ctx, tmp_path):
    _customers(ctx, tmp_path)
    box = FakeMailbox([_mail("ap@a_c.example", 1), _mail("x@%c.example", 2), _mail("y@abc.example", 3)])
    counts = mailbox.fetch_mail(ctx, mailbox_factory=lambda: box)
    assert counts["fetched"] == 3
    linked = {m["from"]: m for m in mailbox.triage(ctx)}
    assert {"ap@a_c.example", "x@%c.example"} <= set(linked)  # left for triage, not guessed
    assert "y@abc.example" not in linked  # the real domain still links
