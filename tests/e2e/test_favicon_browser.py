"""No page logs a console error for a missing icon: the browser finds the linked icon and /favicon.ico."""

from __future__ import annotations

from tests.e2e.test_browser import _sign_in


def test_pages_load_without_console_errors_or_failed_requests(page, live):  # noqa: ANN001
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto("/login")
    _sign_in(page, "admin", live.served.PASSWORD)
    page.wait_for_url(live.base_url + "/")
    for path in ("/", "/aging", "/customers"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert page.evaluate("fetch('/favicon.ico').then(r => r.status)") == 200
    assert not errors, errors
