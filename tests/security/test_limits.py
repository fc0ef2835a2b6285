"""Issue #7 item 4: bounded work per request. Templates: the rendered size and the render time are capped
in the sandbox (previews, queueing, sends, letters); a refused render names the template line and the
limit, fails only its own message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.errors import InvalidInput
from arcollect.outreach.render import Item, Message, check_source, render, source_of

AS_OF = dt.date(2026, 11, 23)
ITEMS = (Item("INV-1", "PO-9", dt.date(2026, 9, 1), dt.date(2026, 10, 1), 53, Decimal("1234.50"), "EUR"),)
BIG = 5_000_000  # five times the default template_max_output


def _message(**kw) -> Message:  # noqa: ANN003
    return Message(**{**dict(template="reminder", language="en", as_of=AS_OF, company="ACME", customer_id="C1",
                             customer_name="Müller", reference="C1-20261123", items=ITEMS, contact_name="Anna"),
                      **kw})


def _edited(snippet: str, language: str = "en", name: str = "reminder") -> str:
    """A template (the English reminder) with ``snippet`` at the start of its closing block."""
    source = source_of(language, name)
    assert "{% block closing %}" in source
    return source.replace("{% block closing %}", "{% block closing %}" + snippet, 1)


def _refused(snippet: str, **limits) -> str:  # noqa: ANN003
    from arcollect.outreach.sandbox import Limits

    with pytest.raises(InvalidInput) as caught:
        check_source("en", "reminder", _edited(snippet), sample=_message(), limits=Limits(**limits))
    return str(caught.value)


@pytest.mark.parametrize("snippet", [
    "{{ 'a' * %d }}" % BIG,  # the attack of the issue, smaller
    "{{ ['a'] * %d }}" % BIG,
    "{{ 'a'|center(%d) }}" % BIG,
    "{{ 'ab'|replace('', 'x' * 1000) ~ ('a' * 10000)|replace('a', 'b' * 1000) }}",
    "{{ 'x'|indent(%d, true) }}" % BIG,
    "{{ ('a' * 10000)|join('b' * 1000) }}",
    "{{ '%%%dd' %% 1 }}" % BIG,
    "{{ '{:>%d}'.format(1) }}" % BIG,
    "{{ 'x'.ljust(%d) }}" % BIG,
    "{{ 10 ** 2000000 }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(22) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(22) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s|length }}",
    "{% set x %}{% for i in range(100000) %}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa{% endfor %}{% endset %}{{ x|length }}",
    "{% macro m() %}{% for i in range(100000) %}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa{% endfor %}{% endmacro %}{{ m()|length }}",
    "{% for i in range(100000) %}{{ m.customer_name }} and some more text{% endfor %}",
])
def test_a_template_that_would_build_more_than_the_output_limit_is_refused_naming_line_and_limit(snippet):
    message = _refused(snippet)
    assert message.startswith(("en/reminder.j2:", "en/_layout.j2:")) and "template_max_output" in message, message


def test_the_output_limit_is_a_setting_and_counts_while_rendering():
    text = "{% for i in range(3000) %}0123456789{% endfor %}"  # 30,000 characters
    assert check_source("en", "reminder", _edited(text), sample=_message()).text.count("0123456789") == 3000
    assert "more than the limit of 20,000" in _refused(text, max_output=20_000)


def test_a_template_that_runs_too_long_is_stopped_by_the_time_limit():
    # 10^10 loop iterations: without a deadline inside the loops this render would not end
    loops = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"
    assert "template_max_seconds" in _refused(loops, max_seconds=0.2)


def test_a_template_calling_itself_without_end_is_refused():
    assert "refused" in _refused("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}")


def test_the_default_templates_still_render_within_the_limits():
    r = render(_message())
    assert "INV-1" in r.text and r.subject


def test_a_preview_over_the_limit_is_shown_like_a_syntax_error(served):
    from tests.conftest import csrf_of

    admin = served.browser("admin")
    mine = sorted(served.customers_of(served.collector))[0]
    token = csrf_of(admin.get(f"/templates/en/reminder?customer={mine}"))
    bad = admin.post("/templates/en/reminder/preview", headers={"HX-Request": "true"},
                     data={"csrf_token": token, "source": _edited("{{ 'a' * %d }}" % BIG), "customer": mine})
    assert 'id="template-problem"' in bad.text and "template_max_output" in bad.text
    assert len(bad.content) < 100_000


def test_a_message_over_the_limit_fails_alone_and_the_run_goes_on(served):
    from arcollect.outreach import outbox, template_store

    ctx = served.ctx
    groups: dict[tuple[str, str], list[str]] = {}
    for p in outbox.preview(ctx, as_of=AS_OF):
        groups.setdefault((p["step"], p["language"]), []).append(p["customer_id"])
    (step, language), (victim, fine, *_) = next((k, v) for k, v in sorted(groups.items()) if len(v) >= 2)
    snippet = "{% if m.customer_id == '" + victim + "' %}{{ 'a' * " + str(BIG) + " }}{% endif %}"
    template_store.save(ctx, language=language, name=step, customer_id=fine,
                        source=_edited(snippet, language, step))
    dry = {p["customer_id"]: p for p in outbox.preview(ctx, as_of=AS_OF) if p["step"] == step}
    assert "template_max_output" in dry[victim]["error"] and dry[fine]["subject"]
    run = outbox.dunning_run(ctx, as_of=AS_OF, send=False)
    assert any(victim in p and "template_max_output" in p for p in run["problems"])
    rows = {m["customer_id"]: m for m in outbox.list_outbox(ctx) if m["step"] == step}
    assert rows[victim]["status"] == "failed" and "template_max_output" in rows[victim]["note"]
    assert rows[fine]["status"] in ("queued", "awaiting_approval")


# ---- imports: columns, cells, rows, xlsx zip; header problems before rows -------------------------
def _import(ctx, path, kind="customers"):  # noqa: ANN001, ANN202
    from arcollect.ledger import service

    with pytest.raises(InvalidInput) as caught:
        service.import_file(ctx, kind=kind, path=path)
    return str(caught.value)


def test_a_file_with_too_many_columns_is_refused_at_its_header(ctx, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text(",".join(["customer_id", "name", *(f"c{i}" for i in range(5000))]) + "\nC1,Acme\n")
    assert _import(ctx, path) == f"{path}:1: the header has 5,002 columns, more than 500 (import_max_columns)"


def test_a_row_of_a_million_cells_is_refused_by_the_row_size_limit(ctx, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("customer_id,name\nC1,Acme\nC2," + "," * 1_000_000 + "\n")
    assert _import(ctx, path) == f"{path}:3: the line is longer than 262,144 characters (import_max_row)"


def test_a_cell_over_the_cell_limit_is_refused_with_file_line_and_column(ctx, tmp_path):
    path = tmp_path / "cell.csv"
    path.write_text("customer_id,name\nC1,Acme\nC2," + "x" * 40_000 + "\n")
    assert _import(ctx, path) == f"{path}:3: name: the cell is longer than 32,768 characters (import_max_cell)"


def test_header_problems_are_refused_before_any_row_is_read(ctx, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_bytes(b"customer_id,name,name\nC1,Acme,x\n\xff\xfe broken \"row\n")
    message = _import(ctx, path)
    assert message.startswith(f"{path}:1: duplicate column name(s): name")


def _xlsx(path, extra: dict[str, bytes] | None = None, columns: int = 2):  # noqa: ANN001, ANN202
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["customer_id", "name", *(f"c{i}" for i in range(columns - 2))])
    wb.active.append(["C1", "Acme"])
    wb.save(path)
    if extra:
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
            for name, data in extra.items():
                z.writestr(name, data)
    return path


def test_an_xlsx_zip_bomb_is_refused_before_openpyxl_unpacks_it(ctx, tmp_path):
    path = _xlsx(tmp_path / "bomb.xlsx", {"xl/media/bomb.bin": b"\0" * 20_000_000})
    assert path.stat().st_size < 100_000
    message = _import(ctx, path)
    assert "xl/media/bomb.bin unpacks" in message and "zip bomb" in message


def test_an_xlsx_larger_than_the_uncompressed_limit_is_refused(ctx, tmp_path):
    import dataclasses
    import os

    small = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"import_max_xlsx_uncompressed": 1 << 20}))
    path = _xlsx(tmp_path / "big.xlsx", {"xl/media/noise.bin": os.urandom(2 << 20)})
    assert "(import_max_xlsx_uncompressed)" in _import(small, path)


def test_an_xlsx_with_too_many_columns_is_refused_at_its_header(ctx, tmp_path):
    path = _xlsx(tmp_path / "wide.xlsx", columns=600)
    assert _import(ctx, path) == f"{path}:1: the header has 600 columns, more than 500 (import_max_columns)"


# ---- uploads: size checked while receiving, unconfirmed uploads pruned -------------------------------
class _Endless:
    """An upload stream of zeros that counts what was read from it."""

    def __init__(self, size: int) -> None:
        self.left, self.read_bytes = size, 0

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        self.read_bytes += n
        return b"\0" * n


def _small(ctx, **settings):  # noqa: ANN001, ANN003, ANN202
    import dataclasses

    return dataclasses.replace(ctx, settings=ctx.settings.model_copy(update=settings))


def test_save_upload_stops_copying_once_over_the_limit(ctx):
    from arcollect.ledger import service

    small = _small(ctx, upload_max_bytes=3 << 20)
    stream = _Endless(200 << 20)
    with pytest.raises(InvalidInput, match=r"upload_max_bytes"):
        service.save_upload(small, name="big.csv", stream=stream)
    assert stream.read_bytes <= (4 << 20)  # the limit and one chunk, not the 200 MB
    assert not list((small.settings.home / "uploads").iterdir())  # nothing left behind


def test_the_server_refuses_an_oversized_upload_with_413_before_reading_it(served):
    from fastapi.testclient import TestClient

    from arcollect.web.factory import create_app

    client = TestClient(create_app(_small(served.ctx, upload_max_bytes=4096)))
    headers = {**served.h("admin"), "content-type": "multipart/form-data; boundary=x"}
    declared = client.post("/api/v1/imports/customers", headers={**headers, "content-length": str(50 << 20)},
                           content=b"")
    assert declared.status_code == 413 and declared.headers["content-type"] == "application/problem+json"
    assert "upload_max_bytes" in declared.json()["detail"]

    def chunks():  # noqa: ANN202  (no Content-Length: a chunked body, counted as it arrives)
        for _ in range(64):
            yield b"x" * 65536

    chunked = client.post("/api/v1/imports/customers", headers=headers, content=chunks())
    assert chunked.status_code == 413
    page = client.post("/imports", headers={"content-type": "multipart/form-data; boundary=x"}, content=chunks())
    assert page.status_code == 413 and "file too large" in page.text


def test_an_upload_that_is_never_confirmed_is_deleted_after_the_keep_time(ctx, clock):
    import io

    from arcollect.errors import NotFound
    from arcollect.ledger import service

    old = service.save_upload(ctx, name="a.csv", stream=io.BytesIO(b"customer_id,name\n"))
    clock.advance(dt.timedelta(hours=23))
    assert service.find_upload(ctx, token=old.parent.name) == old  # still there within the day
    clock.advance(dt.timedelta(hours=2))
    new = service.save_upload(ctx, name="b.csv", stream=io.BytesIO(b"customer_id,name\n"))
    assert not old.parent.exists() and new.exists()
    with pytest.raises(NotFound, match="kept 24 hours"):
        service.find_upload(ctx, token=old.parent.name)


# ---- a long import in a real server: other requests go on; SIGTERM stops it in a bounded time -------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_long_import_neither_blocks_other_requests_nor_a_shutdown(ctx, db_url, tmp_path):
    import os
    import select
    import signal
    import socket
    import subprocess
    import sys

    import httpx

    from arcollect.auth import service as auth
    from arcollect.ledger import service

    if not db_url.startswith("sqlite"):
        pytest.skip("one backend is enough for the server process")
    auth.add_user(ctx, login="admin", role="admin", password="correct horse battery")
    token = auth.create_token(ctx, login="admin")[1]
    port = _free_port()
    env = {**os.environ, "ARCOLLECT_HOME": str(ctx.settings.home), "ARCOLLECT_SHUTDOWN_GRACE_SECONDS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    server = subprocess.Popen([sys.executable, "-c", "from arcollect.cli.main import main; main()", "--db", db_url,
                               "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):  # until it listens
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                server.poll() is None or pytest.fail("the server did not start")
                import time

                time.sleep(0.1)
        rows = "".join(f"C{i:07d},Customer {i}\n" for i in range(1_000_000))
        content = ("customer_id,name\n" + rows).encode()
        body = (b"--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n"
                b"Content-Type: text/csv\r\n\r\n" + content + b"\r\n--x--\r\n")
        upload = socket.create_connection(("127.0.0.1", port))
        upload.sendall(f"POST /api/v1/imports/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                       f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {len(body)}\r\n\r\n"
                       .encode() + body)
        uploads = ctx.settings.home / "uploads"
        while not (uploads.is_dir() and any(uploads.iterdir())):  # the import has begun (its copy is saved)
            assert server.poll() is None and not select.select([upload], [], [], 0.05)[0]
        assert httpx.get(f"{base}/healthz", timeout=30).status_code == 200  # served while the import runs
        assert not select.select([upload], [], [], 0)[0], "the import answered first: make the file larger"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=120) is not None  # stopped: it did not wait for the whole import
    finally:
        if server.poll() is None:
            server.kill()
    assert service.is_empty(ctx)  # the stopped import was rolled back
