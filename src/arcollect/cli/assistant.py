"""Assistant commands (CONTRACT §11): assistant triage FILE [--json] · assistant draft FILE · assistant edit-draft ID."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from arcollect.assistant import service as assistant
from arcollect.cli.common import context, echo, fail
from arcollect.errors import ArcollectError, InvalidInput

assistant_app = typer.Typer(help="The assistant: customer replies read offline, actions proposed for approval.",
                            no_args_is_help=True)
CONTRACT_KEYS = ("customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions", "evidence")


def _raw(file: Path) -> bytes:
    try:
        return sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read: {exc}") from None


@assistant_app.command("triage")
def triage(file: Path = typer.Argument(..., metavar="FILE", help="One raw email (RFC 5322, .eml); - reads stdin"),
           as_json: bool = typer.Option(False, "--json", help="Print CONTRACT §11's JSON")) -> None:
    """Read one email as if it had arrived in the mailbox: the account, the intent, the facts and the actions
    proposed. Nothing is recorded — every action waits for a person's approval."""
    try:
        result = assistant.triage(context(), raw=_raw(file))
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps({k: result[k] for k in CONTRACT_KEYS}, ensure_ascii=False))
        return
    lines = [f"Account:    {result['customer_id'] or '(not linked)'}" + (f"  — {result['link']}" if result["link"] else ""),
             f"Intent:     {result['intent']} (confidence {result['confidence']:.2f}, language {result['language']})"]
    if result["invoices"]:
        lines.append(f"Invoices:   {', '.join(result['invoices'])}")
    if result["promise"]:
        lines.append(f"Promise:    {result['promise']['amount'] or '(amount not stated)'} on {result['promise']['date']}")
    if result["dispute"]:
        lines.append(f"Dispute:    reason {result['dispute']['reason']}")
    if result["evidence"]:
        lines.append("Evidence:   " + " · ".join(f"“{e}”" for e in result["evidence"]))
    lines.append("Proposed actions (each needs a person's approval; nothing was recorded):" if result["actions"]
                 else "Proposed actions: none")
    for a in result["actions"]:
        details = ", ".join(f"{k}={v if not isinstance(v, list) else ','.join(v) or '-'}" for k, v in a.items()
                            if k not in ("kind", "needs_approval") and v not in (None, ""))
        lines.append(f"  - {a['kind']}" + (f": {details}" if details else ""))
    echo("\n".join(lines))


@assistant_app.command("draft")
def draft(file: Path = typer.Argument(..., metavar="FILE", help="The customer's email (RFC 5322, .eml); - reads stdin"),
          kind: Optional[str] = typer.Option(None, "--kind", help="confirm_promise | acknowledge_dispute | invoice_copy "
                                             "(default: from the reply's intent)"),
          tone: Optional[str] = typer.Option(None, "--tone", help="friendly | firm (default: the account's dunning stage)"),
          dispute: Optional[str] = typer.Option(None, "--dispute", metavar="ID", help="The case to acknowledge"),
          as_json: bool = typer.Option(False, "--json", help="Print the draft as JSON")) -> None:
    """Draft the reply to a customer's email in their language and queue it in the outbox awaiting approval
    (edit it with `assistant edit-draft`, send it with `outbox approve` + `outbox send`)."""
    try:
        result = assistant.draft(context(), raw=_raw(file), kind=kind, tone=tone, dispute_id=dispute)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result, ensure_ascii=False))
        return
    llm = result["llm"] or {}
    echo(f"Draft {result['id']} for {result['customer_id']} ({result['kind']}, {result['language']}) — "
         f"{result['status']}, to {', '.join(result['to'])}"
         + (f", attachment {result['attachment']}" if result["attachment"] else "")
         + (f"\n(language model: {llm['fallback']})" if llm.get("fallback") else "")
         + f"\nSubject: {result['subject']}\n\n{result['text']}")


@assistant_app.command("edit-draft")
def edit_draft(message_id: str = typer.Argument(..., metavar="ID"),
               subject: Optional[str] = typer.Option(None, "--subject"),
               text_file: Optional[Path] = typer.Option(None, "--text-file", help="The new text (- reads stdin)"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Edit a draft that awaits approval."""
    try:
        text = None if text_file is None else _raw(text_file).decode("utf-8")
        result = assistant.edit_draft(context(), message_id=message_id, subject=subject, text=text)
    except UnicodeDecodeError:
        fail(InvalidInput(f"{text_file}: not UTF-8 text"))
        return
    except ArcollectError as exc:
        fail(exc)
        return
    echo(json.dumps(result, ensure_ascii=False) if as_json else f"draft {result['id']} updated")
