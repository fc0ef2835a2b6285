"""Issue #7 item 7: no 500s at the edges of what the columns and the calendar hold. Amounts beyond what a
money column stores, days outside 1970–2199 (a day before year 1 or after 9999 cannot even be computed
with), ids beyond a 64-bit key, and attachment names outside Latin-1 each answer a 4xx naming the field,
on every route that takes them (the routes are read from the served app, so a new one is covered too)."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import unquote

import pytest
from fastapi.routing import iter_route_contexts

from arcollect.bounds import MAX_AMOUNT, check_amount, content_disposition, parse_pk
from arcollect.errors import InvalidInput
from arcollect.web.deps import field_words
from tests.conftest import csrf_of, write_csv

HUGE_ID = str(2**63)
DAYS = ("0001-01-01", "9999-12-31", "1969-12-31", "2200-01-01")


def _routes(served, *, api: bool) -> list:  # noqa: ANN001
    """The app's routes (as mounted, with their full paths) of the API or of the web pages."""
    return [r for r in iter_route_contexts(served.app.routes)
            if hasattr(r.route, "dependant") and r.path.startswith("/api/") == api]


def _lenient(client):  # noqa: ANN001, ANN202
    """The client answering a server error as a 500 response (listed with the others) instead of raising."""
    client._transport.raise_server_exceptions = False
    return client


def _with_ids(path: str) -> str:
    return re.sub(r"\{[^}]+\}", HUGE_ID, path)


def _date_params(route) -> list[str]:  # noqa: ANN001
    import datetime as dt
    import typing

    def dated(annotation) -> bool:  # noqa: ANN001
        return annotation is dt.date or dt.date in typing.get_args(annotation)

    return [p.alias or p.name for p in route.route.dependant.query_params if dated(p.field_info.annotation)]


def _required(route, name: str) -> dict[str, str]:  # noqa: ANN001
    """The other required query values of the route, filled plainly, so that only the date is wrong."""
    return {(p.alias or p.name): "x" for p in route.route.dependant.query_params
            if p.field_info.is_required() and (p.alias or p.name) != name}


# ---- pure bounds -------------------------------------------------------------------------------
def test_amounts_beyond_the_column_are_refused_with_their_field() -> None:
    assert check_amount(MAX_AMOUNT, "amount") == MAX_AMOUNT
    assert check_amount(-MAX_AMOUNT, "amount") == -MAX_AMOUNT
    for too_big in ("922337203685478.00", "12345678901234567.00", str(MAX_AMOUNT + Decimal("0.01"))):
        with pytest.raises(InvalidInput, match="^amount: .*too large"):
            check_amount(Decimal(too_big), "amount")


def test_an_amount_typed_with_more_digits_than_decimal_holds_is_too_large() -> None:
    from arcollect.money import parse_amount

    for text in ("1" * 40, "9" * 28 + ".5", "-1000000000000"):  # found by the import fuzzer: InvalidOperation
        with pytest.raises(ValueError, match="too large"):
            parse_amount(text, "USD")
    assert parse_amount("999999999999.99", "USD") == MAX_AMOUNT


def test_ids_beyond_a_64_bit_key_are_no_key() -> None:
    assert parse_pk("42") == 42
    assert parse_pk(str(2**63 - 1)) == 2**63 - 1
    for text in (HUGE_ID, "-1", "0", "1e3", "", "٣", " 7", "7\n"):
        assert parse_pk(text) is None, text


def test_attachment_names_outside_latin_1_use_rfc_5987() -> None:
    header = content_disposition("attachment", 'Rechnung "März" – 東京.pdf')
    header.encode("latin-1")  # a header Starlette can send
    plain, encoded = header.split("; ")[1:]
    assert plain == 'filename="Rechnung _Marz_ - .pdf"' or plain.startswith('filename="Rechnung')
    assert '"' not in plain[len('filename="'):-1]
    assert unquote(encoded.removeprefix("filename*=UTF-8''")) == 'Rechnung "März" – 東京.pdf'
    assert content_disposition("inline", "statement.pdf") == "inline; filename=\"statement.pdf\"; " \
                                                            "filename*=UTF-8''statement.pdf"


# ---- every route -------------------------------------------------------------------------------
def test_huge_ids_in_api_paths_answer_404_or_422(served) -> None:  # noqa: ANN001
    checked, bad = 0, []
    for route in _routes(served, api=True):
        if "{" not in route.path:
            continue
        for method in route.methods - {"HEAD"}:
            body = None if method in ("GET", "DELETE") else {}
            r = _lenient(served.client).request(method, _with_ids(route.path), json=body, headers=served.h("admin"))
            if r.status_code not in (404, 405, 409, 422):
                bad.append((method, route.path, r.status_code, r.text[:200]))
            checked += 1
    assert not bad, "\n".join(f"{m} {p} {code}" for m, p, code, _ in bad)
    assert checked > 20


def test_huge_ids_in_web_paths_answer_404_or_a_page(served) -> None:  # noqa: ANN001
    browser = _lenient(served.browser("admin"))
    token = csrf_of(browser.get("/"))
    checked, bad = 0, []
    for route in _routes(served, api=False):
        if "{" not in route.path:
            continue
        for method in route.methods - {"HEAD"}:
            data = {"csrf_token": token} if method == "POST" else None
            r = browser.request(method, _with_ids(route.path), data=data, follow_redirects=False)
            if r.status_code >= 500:
                bad.append((method, route.path, r.status_code, r.text[:200]))
            checked += 1
    assert not bad, "\n".join(f"{m} {p} {code}" for m, p, code, _ in bad)
    assert checked > 20


@pytest.mark.parametrize("day", DAYS)
def test_days_outside_the_calendar_answer_422_naming_the_field(served, day: str) -> None:  # noqa: ANN001
    browser = served.browser("admin")
    customer = sorted(served.customers_of(served.collector))[0]
    checked = 0
    for api in (True, False):
        for route in _routes(served, api=api):
            if "GET" not in route.methods:
                continue
            for name in _date_params(route):
                path = route.path.replace("{customer_id}", customer)
                if "{" in path:
                    path = _with_ids(path)
                params = {**_required(route, name), name: day}
                r = (served.client.get(path, params=params, headers=served.h("admin")) if api
                     else browser.get(path, params=params))
                assert r.status_code in (404, 422), (route.path, name, r.status_code, r.text[:300])
                if r.status_code == 422:  # the API names the parameter, a page names it in words ("As of")
                    assert (name if api else field_words(name)) in r.text, (route.path, r.text[:300])
                checked += 1
    assert checked >= 8


def test_a_promise_beyond_the_money_column_is_a_422(served) -> None:  # noqa: ANN001
    customer = sorted(served.customers_of(served.collector))[0]
    r = served.client.post("/api/v1/promises", headers=served.h("admin"),
                           json={"customer_id": customer, "amount": "922337203685478.00", "date": "2026-11-30"})
    assert r.status_code == 422, r.text
    assert "amount" in r.text


def test_an_import_beyond_the_money_column_is_a_row_error_and_stores_nothing(ctx, tmp_path) -> None:  # noqa: ANN001
    from sqlalchemy import func, select

    from arcollect.ledger import service as ledger
    from arcollect.ledger.models import Invoice

    ledger.import_file(ctx, kind="customers", path=write_csv(tmp_path / "c.csv", "customer_id,name,currency",
                                                              "C1,Acme,USD"))
    path = write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                     "I1,C1,2026-10-01,2026-10-31,100.00,USD", "I2,C1,2026-10-01,2026-10-31,12345678901234567.00,USD")
    result = ledger.import_file(ctx, kind="invoices", path=path)
    assert result.errors == [f"{path}:3: amount: '12345678901234567.00' is too large (at most 999,999,999,999.99)"]
    with ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_a_non_latin_1_attachment_name_downloads(served, tmp_path) -> None:  # noqa: ANN001
    from arcollect.disputes import workflow as D

    customer = sorted(served.customers_of(served.collector))[0]
    listed = served.client.get("/api/v1/invoices", params={"customer_id": customer, "status": "open"},
                               headers=served.h("admin")).json()["items"]
    invoice = next(i["invoice_id"] for i in listed if Decimal(i["open_amount"]) > 0)
    r = served.client.post("/api/v1/disputes", headers=served.h("admin"),
                           json={"invoices": [{"invoice_id": invoice}], "reason": sorted(D.REASONS)[0], "note": "price"})
    assert r.status_code == 201, r.text
    dispute = r.json()["id"]
    browser = served.browser("admin")
    token = csrf_of(browser.get(f"/disputes/{dispute}"))
    name = "Gutschrift März – 東京.pdf"
    r = browser.post(f"/disputes/{dispute}/attachments", data={"csrf_token": token},
                     files={"file": (name, b"%PDF-1.4 test", "application/pdf")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = browser.get(f"/disputes/{dispute}").text
    link = re.search(rf'href="(/disputes/{dispute}/attachments/[^"]+)"', page)
    assert link, page[:2000]
    r = browser.get(link.group(1))
    assert r.status_code == 200
    assert r.content == b"%PDF-1.4 test"
    assert unquote(r.headers["content-disposition"].split("filename*=UTF-8''")[1]) == name


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_cli_refuses_a_day_outside_the_calendar(cli, day: str) -> None:  # noqa: ANN001
    result = cli("aging", "--as-of", day)
    assert result.exit_code == 2, result.output
    assert "--as-of" in result.output and "outside 1970-01-01" in result.output
