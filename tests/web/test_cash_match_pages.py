"""Match now on the cash application page, on both databases: the click starts a tracked run in the background and
answers at once; the page shows the run's progress, which htmx polls until it is done (the page is then sent to the
result, its tables read again) or failed (the error); a second click while a run is going is told so."""

from __future__ import annotations

import html
import re
import time

from arcollect.cashapp import runs
from arcollect.cashapp import service as cash
from tests.conftest import csrf_of
from tests.web.cash_day import bank_day


def _words(fragment: str) -> str:
    """A piece of page as it reads: tags dropped, blanks folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split()).replace(" ·", " ·")


def _finished(served, run_id: str, timeout: float = 60.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while True:
        run = cash.match_run(served.ctx, run_id=run_id)
        if run["status"] != "running":
            return run
        assert time.monotonic() < deadline, f"the matching run is still going: {run}"
        time.sleep(0.1)


def test_match_now_runs_in_the_background_and_the_page_follows_it_to_the_result(served):
    day = bank_day(served, match=False)
    web = served.browser("cash")
    page = web.get("/cash?status=unmatched")
    assert 'id="match-run"' not in page.text  # no run yet
    r = web.post("/cash/match", data={"csrf_token": csrf_of(page), "status": "unmatched"}, follow_redirects=False)
    assert r.status_code == 303
    location = r.headers["location"]
    run_id = re.fullmatch(r"/cash\?status=unmatched&run=(\d+)", location).group(1)
    done = _finished(served, run_id)
    assert done["status"] == "done" and done["result"]["lines"] == 3 and done["total"] == done["done"] == 3
    assert done["started_by"] == "cash"
    assert "Matching started" in web.get(location).text  # the message of the click, shown once
    # the poll of a finished run sends htmx to the page with the result (the tables are read again)
    poll = web.get(f"/cash/match/runs/{run_id}?status=unmatched", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and poll.headers["HX-Redirect"] == f"/cash?status=unmatched&run={run_id}"
    shown = web.get(poll.headers["HX-Redirect"])
    panel = _words(re.search(r'<section class="panel match-run run-done".*?</section>', shown.text, re.S).group(0))
    assert "Matching finished: 3 lines processed" in panel and "hx-trigger" not in panel
    assert f"{done['result']['applied']} applied" in panel and "2 waiting for review" in panel and "0 errors" in panel
    assert " UTC" in panel  # times with their zone
    counts = re.search(r'status=proposed[^>]*>\s*Proposed\s*<span class="count">(\d+)</span>', shown.text)
    assert counts.group(1) == "2"
    assert {r["reference"]: r["status"] for r in cash.lines(served.ctx)}["PART"] == "proposed"
    assert day.lines  # the day's lines were all read by the run


def test_a_second_click_while_a_run_is_going_says_so_and_the_page_polls_its_progress(served):
    bank_day(served, match=False)
    ctx = served.ctx
    going = cash.start_match_run(ctx.acting_as("mona"))  # another person's run, still going
    runs.report(ctx, int(going["id"]), phase="applying", done=1, total=4,
                so_far={"applied": 1, "proposed": 0, "unidentified": 0, "errors": 0})
    web = served.browser("cash")
    page = web.get("/cash")
    raw = re.search(r'<section class="panel match-run run-running".*?</section>', page.text, re.S).group(0)
    assert f'hx-get="/cash/match/runs/{going["id"]}' in raw and 'hx-trigger="every 1s"' in raw
    assert '<progress id="match-progress" max="4" value="1"' in raw
    panel = _words(raw)
    assert "1 of 4 lines processed (25 %)" in panel and "1 applied" in panel and "0 to review" in panel
    assert "started by mona" in panel
    r = web.post("/cash/match", data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    text = html.unescape(r.text)
    assert "Matching is already running — a matching run is already in progress" in text and "started by mona" in text
    poll = web.get(f"/cash/match/runs/{going['id']}", headers={"HX-Request": "true"})
    assert "HX-Redirect" not in poll.headers and 'hx-trigger="every 1s"' in poll.text
    assert cash.current_match_run(ctx)["id"] == going["id"]  # no second run
    cash.run_match(ctx, run_id=going["id"])  # it ends; the next click starts a new one
    assert _finished(served, going["id"])["status"] == "done"


def test_a_failed_run_shows_its_error(served):
    bank_day(served, match=False)
    ctx = served.ctx
    run = cash.start_match_run(ctx)
    runs.finish(ctx, int(run["id"]), error="OperationalError: the database went away")
    web = served.browser("cash")
    page = html.unescape(web.get(f"/cash?run={run['id']}").text)
    assert "Matching failed" in page and "OperationalError: the database went away" in page
    poll = web.get(f"/cash/match/runs/{run['id']}", headers={"HX-Request": "true"})
    assert poll.headers["HX-Redirect"] == f"/cash?run={run['id']}"


def test_only_cash_roles_start_or_follow_a_run(served):
    bank_day(served, match=False)
    run = cash.start_match_run(served.ctx)
    collector = served.browser(served.collector)
    page = collector.get("/cash")
    assert 'id="match-run"' not in page.text and "Match now" not in page.text
    assert collector.get(f"/cash/match/runs/{run['id']}").status_code == 403
    refused = collector.post("/cash/match", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert refused.status_code == 403 and cash.current_match_run(served.ctx)["id"] == run["id"]
    runs.finish(served.ctx, int(run["id"]), result={"lines": 0})
