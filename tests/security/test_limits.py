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
