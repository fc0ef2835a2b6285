"""The Jobs page (admins): recent background jobs with their status, progress, duration and last error; it
refreshes itself while a job waits or runs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from arcollect.auth.permissions import ADMIN
from arcollect.web.deps import User, get_ctx, needs, page

router = APIRouter(include_in_schema=False)
STATUS_WORDS = {"queued": "waiting for a worker", "running": "running", "retrying": "waiting to be tried again",
                "succeeded": "done", "failed": "failed", "cancelled": "cancelled", "aborted": "stopped"}
TASK_WORDS = {"daily_run": "Daily run", "morning": "Morning schedule", "queue_dunning": "Queue the day's emails",
              "send_outbox": "Send due emails", "render_statements": "Statement PDFs", "fetch_mail": "Fetch mail",
              "import_file": "Import a file", "cash_import": "Import a bank file", "cash_match": "Cash matching",
              "train_model": "Train the payment model", "weekly_report": "Weekly portfolio report"}


def _about(job: dict) -> str:
    a = job.get("args") or {}
    parts = []
    if a.get("collector"):
        parts.append(f"collector {a['collector']}")
    if a.get("unassigned"):
        parts.append("unassigned customers")
    if a.get("customer_ids"):
        ids = a["customer_ids"]
        parts.append(f"{len(ids)} customer{'s' if len(ids) != 1 else ''} ({ids[0]}–{ids[-1]})" if len(ids) > 1 else ids[0])
    if a.get("as_of"):
        parts.append(f"as of {a['as_of']}")
    if a.get("path"):
        parts.append(str(a["path"]).rsplit("/", 1)[-1])
    if job.get("task") == "daily_run" and not a.get("collector") and not a.get("unassigned"):
        parts.insert(0, "the whole book")
    return ", ".join(parts)


@router.get("/admin/jobs", dependencies=[needs(ADMIN)])
def jobs_page(request: Request, user: User, status: str | None = None) -> Response:
    from arcollect.jobs import service as jobs

    ctx = get_ctx(request)
    rows = jobs.list_jobs(ctx, limit=100, status=status if status in STATUS_WORDS else None)
    for r in rows:
        r["what"] = TASK_WORDS.get(r["task"], r["task"].replace("_", " "))
        r["about"] = _about(r)
        r["words"] = STATUS_WORDS.get(r["status"], r["status"])
        line = (r["last_error"] or "").split("\n")[0]
        kind, sep, message = line.partition(": ")
        r["error_line"] = message if sep and kind.isidentifier() else line  # "NotFound: …" → the message
    busy = any(r["status"] in ("queued", "running", "retrying") for r in rows)
    return page(request, "jobs.html", nav="jobs", jobs=rows, busy=busy, status=status, statuses=STATUS_WORDS,
                queue=jobs.uses_queue(ctx))
