"""Ask in plain words: with a language model configured, a question is answered by an agent loop over the
chat-completions function-calling protocol — the model is shown the read-only tools of ``ask_tools``, asks for
some (``tool_calls``), gets their results (``role: tool``) and writes an answer that cites the records it used
as ``[C1]``, ``[INV-1042]``, ``[promise 7]``, ``[dispute 3]``. Bounded in steps and time. Tools run under the
caller's scope; a refusal goes back to the model as an error. Personal data is masked before anything is sent
(``masking``); what the model answers is untrusted: an unusable turn ends the loop and the caller shows the
plain search instead."""

from __future__ import annotations

import json
import re
import time
from html import escape
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from arcollect.assistant.ask_tools import TOOLS
from arcollect.assistant.masking import Masker
from arcollect.assistant.providers import Provider, ProviderError
from arcollect.context import Context
from arcollect.disputes.scope import CaseScope
from arcollect.errors import ArcollectError
from arcollect.ledger.models import Contact, Customer

MAX_STEPS = 6          # model turns, each answered by the tools it asked for
MAX_SECONDS = 60.0     # the whole conversation
MAX_TOOL_CALLS = 8     # in one turn
SYSTEM = ("You answer questions of an accounts-receivable collector about their customers, invoices, promises to "
          "pay and disputes. Use the tools to look facts up; never guess figures. Today is {today}. Answer briefly "
          "in plain words and cite every record you rely on in square brackets exactly as the tools name it: a "
          "customer number [C1], an invoice number [INV-1042], [promise 7], [dispute 3]. Placeholders such as "
          "[EMAIL_1] or [NAME_2] stand for masked personal data: keep them as they are. You cannot change "
          "anything: there are only read-only tools.")
_BRACKET = re.compile(r"\[([^\[\]\n]{1,80})\]")


def _names(ctx: Context, customer_ids: set[str]) -> list[str]:
    """The contacts' names of these customers (masked wherever they appear in what is sent)."""
    if not customer_ids:
        return []
    with ctx.sessions() as s:
        return [n for n in s.scalars(select(Contact.name).join(Customer, Customer.id == Contact.customer_pk)
                                     .where(Customer.customer_id.in_(sorted(customer_ids)))) if n]


def _customer_ids(cites: list[dict[str, str]]) -> set[str]:
    return {c["id"] for c in cites if c["kind"] in ("customer", "account")}


def run_tool(ctx: Context, scope: CaseScope, name: str, raw_args: Any) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """One tool call: (what the model gets back, the records it holds). Bad names and arguments, refusals and
    records out of scope come back as ``{"error": ...}`` — never raised, never bypassed."""
    tool = TOOLS.get(name)
    if tool is None:
        return {"error": f"unknown tool {name!r}; the tools are: {', '.join(TOOLS)}"}, []
    try:
        args = json.loads(raw_args or "{}") if isinstance(raw_args, str) else raw_args
    except ValueError:
        return {"error": "arguments: not valid JSON"}, []
    if not isinstance(args, dict):
        return {"error": "arguments: a JSON object is expected"}, []
    try:
        parsed = tool.args.model_validate(args)
    except ValidationError as exc:
        return {"error": "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'arguments'}: {e['msg']}"
                                   for e in exc.errors()[:5])}, []
    try:
        return tool.run(ctx, scope, parsed)
    except ArcollectError as exc:
        return {"error": str(exc)}, []


def _tool_calls(message: dict[str, Any]) -> list[tuple[str, str, Any]]:
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list):
        raise ProviderError("the model's tool_calls is not a list")
    out = []
    for c in calls[:MAX_TOOL_CALLS]:
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(fn, dict) or not isinstance(c.get("id"), str) or not isinstance(fn.get("name"), str):
            raise ProviderError("the model's tool call has no id or function name")
        out.append((c["id"], fn["name"], fn.get("arguments")))
    return out


def answer(ctx: Context, *, question: str, scope: CaseScope, provider: Provider, max_steps: int = MAX_STEPS,
           max_seconds: float = MAX_SECONDS) -> dict[str, Any]:
    """``{"model", "text", "html", "citations", "tool_calls", "steps", "stopped", "masked"}``; raises
    ProviderError when the model cannot be used (the caller falls back to search)."""
    masker = Masker(enabled=ctx.settings.llm_mask)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM.format(today=ctx.clock.today().isoformat())},
        {"role": "user", "content": masker.mask(question)}]
    tools = [t.spec() for t in TOOLS.values()]
    known: dict[str, dict[str, str]] = {}
    made: list[dict[str, Any]] = []
    deadline = time.monotonic() + max_seconds
    text, stopped, steps = None, None, 0
    while text is None:
        if steps >= max_steps:
            stopped = f"stopped after {max_steps} steps without an answer"
            break
        if time.monotonic() > deadline:
            stopped = f"stopped after {max_seconds:g} s without an answer"
            break
        steps += 1
        message = provider.converse(messages=messages, tools=tools)
        calls = _tool_calls(message)
        content = message.get("content")
        if not calls:
            if not isinstance(content, str) or not content.strip():
                raise ProviderError("the model gave neither an answer nor a tool call")
            text = masker.unmask(content.strip())
            break
        messages.append({"role": "assistant", "content": content if isinstance(content, str) else None,
                         "tool_calls": [{"id": i, "type": "function", "function": {"name": n, "arguments":
                                         a if isinstance(a, str) else json.dumps(a)}} for i, n, a in calls]})
        for call_id, name, raw in calls:
            result, cites = run_tool(ctx, scope, name, raw)
            for c in cites:
                known.setdefault(c["label"].lower(), c)
            masker.names = tuple(sorted(set(masker.names) | set(Masker.for_names(_names(ctx, _customer_ids(cites))).names),
                                        key=lambda p: (-len(p), p)))
            made.append({"name": name, "arguments": raw if isinstance(raw, str) else json.dumps(raw),
                         "ok": "error" not in result, "error": result.get("error"), "records": len(cites)})
            messages.append({"role": "tool", "tool_call_id": call_id,
                             "content": masker.mask(json.dumps(result, ensure_ascii=False, default=str))})
    citations = cited(text or "", known)
    return {"model": provider.name, "text": text, "html": render(text or "", known), "citations": citations,
            "tool_calls": made, "steps": steps, "stopped": stopped, "masked": masker.summary()}


def cited(text: str, known: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """The records the answer names in brackets that a tool returned (in the order named, once each)."""
    out: list[dict[str, str]] = []
    for m in _BRACKET.finditer(text):
        c = known.get(m.group(1).strip().lower())
        if c is not None and c not in out:
            out.append(c)
    return out


def render(text: str, known: dict[str, dict[str, str]]) -> str:
    """The answer as safe HTML: escaped, each cited record a link to its page."""
    parts, last = [], 0
    for m in _BRACKET.finditer(text):
        c = known.get(m.group(1).strip().lower())
        if c is None:
            continue
        parts.append(escape(text[last:m.start()]))
        parts.append(f'<a class="cite" href="{escape(c["url"])}">{escape(c["label"])}</a>')
        last = m.end()
    parts.append(escape(text[last:]))
    return "".join(parts).replace("\n", "<br>")
