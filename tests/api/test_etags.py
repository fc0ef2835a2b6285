"""ETags on the read-heavy lists (issue #19): 200 with a weak tag, the same tag back → 304 and no body, a
ledger change → 200 with a new tag; a tag is the caller's own (another user's view never matches it)."""

from __future__ import annotations

import datetime as dt

import pytest

from arcollect.auth import service as auth
from arcollect.ledger import service as ledger
from tests.conftest import write_csv

LISTS = ["/api/v1/aging?by=customer", "/api/v1/customers?limit=20", "/api/v1/invoices?status=open",
         "/api/v1/payments", "/api/v1/credit-notes", "/api/v1/worklist"]


def _get(served, path: str, login: str, tag: str | None = None):  # noqa: ANN001, ANN202
    headers = served.h(login) | ({"If-None-Match": tag} if tag else {})
    return served.client.get(path, headers=headers)


def _new_invoice(served, tmp_path, login: str) -> None:  # noqa: ANN001
    """An invoice, 40 days past due, for one of ``login``'s customers."""
    row = _get(served, "/api/v1/aging?by=customer", login).json()["rows"][0]
    issued = served.ctx.clock.today() - dt.timedelta(days=70)
    path = write_csv(tmp_path / "one.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                     f"ETAG-1,{row['key']},{issued},{issued + dt.timedelta(days=30)},123.45,{row['currency']}")
    assert not ledger.import_file(served.ctx, kind="invoices", path=path).errors


@pytest.mark.parametrize("path", LISTS)
def test_a_list_answers_304_while_nothing_changed_and_200_after_a_change(served, tmp_path, path):
    who = served.collector
    first = _get(served, path, who)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "private, no-cache"
    if path.endswith("/worklist"):  # the first read of the day builds the day's worklist (a change)
        first = _get(served, path, who)
        tag = first.headers["etag"]
    again = _get(served, path, who, tag)
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert _get(served, path, who, f'"other", {tag}').status_code == 304  # a list of tags, one of them ours
    _new_invoice(served, tmp_path, who)
    changed = _get(served, path, who, tag)
    assert changed.status_code == 200 and changed.headers["etag"] != tag and changed.content
    assert _get(served, path, who, changed.headers["etag"]).status_code == 304


def test_the_aging_body_after_a_change_has_the_new_invoice(served, tmp_path):
    first = _get(served, "/api/v1/aging?by=total", served.collector)
    _new_invoice(served, tmp_path, served.collector)
    after = _get(served, "/api/v1/aging?by=total", served.collector, first.headers["etag"])
    assert after.status_code == 200 and after.json() != first.json()


def test_a_tag_is_never_valid_for_another_user_or_another_query(served):
    mine = _get(served, "/api/v1/aging?by=customer", served.collector)
    tag = mine.headers["etag"]
    theirs = _get(served, "/api/v1/aging?by=customer", served.other, tag)
    assert theirs.status_code == 200 and theirs.headers["etag"] != tag
    assert {r["key"] for r in theirs.json()["rows"]}.isdisjoint(r["key"] for r in mine.json()["rows"])
    assert _get(served, "/api/v1/aging?by=customer", "admin", tag).status_code == 200
    assert _get(served, "/api/v1/aging?by=collector", served.collector, tag).status_code == 200


def test_a_role_change_gives_a_new_tag_and_a_refusal_beats_a_304(served):
    tag = _get(served, "/api/v1/aging", "vera").headers["etag"]
    assert _get(served, "/api/v1/aging", "vera", tag).status_code == 304
    auth.update_user(served.ctx, login="vera", role="stakeholder")  # may no longer read the ledger
    assert _get(served, "/api/v1/aging", "vera", tag).status_code == 403
