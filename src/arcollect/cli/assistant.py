"""Assistant commands (CONTRACT §11): assistant triage FILE [--json]; assistant draft FILE; assistant edit-draft ID;
assistant ask "QUERY" (search everything),
assistant reindex; assistant sop add/list/show/delete (the team's SOPs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from arcollect.assistant import search as search_service
from arcollect.assistant import service as assistant
from arcollect.assistant import sops as sop_service
from arcollect.cli.common import context, echo, fail, parse_date
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
          kind: Optional[str] = typer.Option(None, "--kind", help="confirm_promise | acknowledge_dispute | invoice_copy | "
                                             "answer_question (default: from the reply's intent)"),
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
         + (f"\nAnswer from {result['source']['kind'].replace('sop', 'SOP')} {result['source']['id']} "
            f"“{result['source']['title']}”" + (f" — {result['source']['section']}" if result['source']['section'] else "")
            if result.get("source") else "")
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
@assistant_app.command("ask")
def ask(query: str = typer.Argument(..., metavar="QUERY", help="Words to find; \"a phrase\" in quotes"),
        kind: list[str] = typer.Option([], "--kind", help="Only these kinds (repeat): account, invoice, email, note, "
                                                           "call, dispute, sop"),
        customer: str | None = typer.Option(None, "--customer", help="Only this customer's records"),
        date_from: str | None = typer.Option(None, "--from", help="Dated on or after YYYY-MM-DD"),
        date_to: str | None = typer.Option(None, "--to", help="Dated on or before YYYY-MM-DD"),
        limit: int = typer.Option(20, "--limit", help="At most this many results (1–200)"),
        words_only: bool = typer.Option(False, "--search", help="Plain search even with a language model configured"),
        fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """Search accounts, invoices, emails in and out, notes, call logs, disputes and SOPs: best first (the exact
    invoice or customer number typed leads), each with the words found highlighted. With a language model
    configured (ARCOLLECT_LLM_BASE_URL, ARCOLLECT_LLM_MODEL) a question in plain words is answered first by an
    agent using read-only tools, citing the records it used (--search: the plain search only)."""
    if fmt not in ("table", "json"):
        raise typer.BadParameter("table or json", param_hint="--format")
    kinds = [k.strip() for k in ",".join(kind).split(",") if k.strip()] or None
    try:
        asked = assistant.ask(context(), question=query, kinds=kinds, customer_id=customer,
                              date_from=parse_date(date_from, "--from"), date_to=parse_date(date_to, "--to"),
                              limit=limit, words_only=words_only)
    except ArcollectError as exc:
        fail(exc)
        return
    found = asked["search"]
    llm_used = asked["answer"] is not None or asked["fallback"] is not None
    if fmt == "json":  # without a model: the search exactly as before; with one: answer, fallback and search
        echo(json.dumps(asked if llm_used else found, ensure_ascii=False))
        return
    if asked["fallback"]:
        echo(f"(no answer: {asked['fallback']})")
    if asked["answer"] is not None:
        a = asked["answer"]
        echo(f"Answer ({a['model']}): " + (a["text"] or a["stopped"]))
        if a["citations"]:
            echo("Cited: " + ", ".join(f"{c['label']} ({c['url']})" for c in a["citations"]))
        echo("Tools: " + (", ".join(f"{t['name']}({t['arguments']})" + ("" if t["ok"] else " → error")
                                     for t in a["tool_calls"]) or "none"))
        echo("")
    if not found["results"]:
        echo(f"Nothing found for {query!r}." if found["terms"] else "Type a word to search for.")
        return
    import re

    plain = re.compile(r"</?mark>")
    from html import unescape

    for r in found["results"]:
        who = f"  [{r['customer_id']}] {r['customer_name']}" if r["customer_id"] else ""
        echo(f"{r['kind']:<8} {r['title']}{who}" + (f"  · {r['date'][:10]}" if r["date"] else "")
             + ("  (exact number)" if r["exact"] else ""))
        if r["snippet"]:
            echo("         " + unescape(plain.sub("*", r["snippet"])))
    echo(f"{found['total']} found" + (f", {len(found['results'])} shown" if found["total"] > len(found["results"]) else ""))


@assistant_app.command("reindex")
def reindex() -> None:
    """Rebuild the full-text index of `assistant ask` from the records (needed only for a database copied
    without its index; writes keep it current by themselves)."""
    try:
        done = search_service.reindex(context())
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"Reindexed ({done['dialect']}): " + ", ".join(f"{t} {n:,}" for t, n in done["tables"].items()))


sop_app = typer.Typer(help="The team's SOPs (markdown): shown to everyone, searched by `assistant ask`.",
                      no_args_is_help=True)
assistant_app.add_typer(sop_app, name="sop")


@sop_app.command("add")
def sop_add(file: Path = typer.Argument(..., metavar="FILE", help="A markdown file (.md, .markdown, .txt)"),
            title: str | None = typer.Option(None, "--title", help="Default: the document's first # heading")) -> None:
    """Upload one SOP; prints its id."""
    try:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"{file}: cannot read: {exc}") from None
        doc = sop_service.upload(context(), data=data, filename=file.name, title=title)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(doc["id"])


@sop_app.command("list")
def sop_list(fmt: str = typer.Option("table", "--format", help="table or json")) -> None:
    """The SOPs, by title."""
    docs = sop_service.list_sops(context())
    if fmt == "json":
        echo(json.dumps(docs, ensure_ascii=False))
        return
    for d in docs:
        echo(f"{d['id']:>5}  {d['title']}  ({d['filename'] or 'no file name'}, {d['size']:,} bytes, "
             f"{d['uploaded_at'][:16].replace('T', ' ')} UTC by {d['uploaded_by']})")
    if not docs:
        echo("No SOPs yet: arcollect assistant sop add FILE.md")


@sop_app.command("delete")
def sop_delete(sop_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Delete one SOP (audited)."""
    try:
        doc = sop_service.delete(context(), sop_id=sop_id)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"Deleted SOP {doc['id']}: {doc['title']}")
