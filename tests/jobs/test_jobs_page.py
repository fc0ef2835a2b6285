"""The admin Jobs page: recent jobs in words, with progress and the problem of a failed one; admins only."""

from __future__ import annotations

import datetime as dt

import pytest

from arcollect.jobs import service as jobs
from arcollect.jobs.tasks import SPECS


def test_the_jobs_page_shows_recent_jobs_their_progress_and_failures_to_admins_only(served, tmp_path) -> None:  # noqa: ANN001
    ctx = served.ctx
    jobs.execute(ctx, SPECS["render_statements"], {"as_of": "2026-11-23", "customer_ids": ["C000001", "C000002"],
                                                    "directory": str(tmp_path)})
    with pytest.raises(Exception):
        jobs.execute(ctx, SPECS["render_statements"], {"as_of": "2026-11-23", "customer_ids": ["NOPE"],
                                                        "directory": str(tmp_path)})
    admin = served.browser("admin")
    html = admin.get("/admin/jobs").text
    assert "Statement PDFs" in html and "2 customers (C000001–C000002), as of 2026-11-23" in html
    assert "2 of 2" in html and ">done<" in html
    assert ">failed<" in html and "customer &#39;NOPE&#39; not found" in html
    assert 'hx-trigger="every 3s"' not in html, "nothing waits or runs: the page does not poll"
    failed = admin.get("/admin/jobs?status=failed").text
    assert "NOPE" in failed and "C000001–C000002" not in failed
    assert served.browser(served.collector).get("/admin/jobs").status_code == 403
    assert served.browser("mona").get("/admin/jobs").status_code == 403
