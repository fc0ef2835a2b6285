"""POST /api/v1/assistant/triage: anonymous 401, a viewer 403, a collector gets CONTRACT §11's answer."""

from __future__ import annotations

from tests.assistant.test_service import RAW


def test_triage_roles(served) -> None:  # noqa: ANN001
    """Anonymous → 401; viewer → 403; collector → 200 with every action awaiting approval."""
    url = "/api/v1/assistant/triage"
    headers = {"Content-Type": "text/plain"}
    assert served.client.post(url, content=RAW, headers=headers).status_code == 401
    assert served.client.post(url, content=RAW, headers={**headers, **served.h("vera")}).status_code == 403
    r = served.client.post(url, content=RAW, headers={**headers, **served.h(served.collector)})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["intent"] == "promise_to_pay" and all(a["needs_approval"] for a in body["actions"])
