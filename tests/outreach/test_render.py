"""Dunning templates: every step × language renders a grouped, localized message; customer data is
escaped in HTML; a broken template is refused with its line."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from arcollect.errors import InvalidInput, NotFound
from arcollect.outreach.render import (LANGUAGES, TEMPLATE_NAMES, Item, Message, check_source, pick_language, render,
                                       source_of)

AS_OF = dt.date(2026, 11, 23)
ITEMS = (Item("INV-1", "PO-9", dt.date(2026, 9, 1), dt.date(2026, 10, 1), 53, Decimal("1234.50"), "EUR"),
         Item("INV-2", None, dt.date(2026, 10, 1), dt.date(2026, 10, 31), 23, Decimal("99.99"), "EUR"),
         Item("INV-3", None, dt.date(2026, 10, 5), dt.date(2026, 11, 4), 19, Decimal("10.00"), "USD"))


def message(template: str, language: str, **kw) -> Message:  # noqa: ANN003
    base = dict(template=template, language=language, as_of=AS_OF, company="ACME Supplies", customer_id="C1",
                customer_name="Müller & Söhne", reference="C1-20261123", items=ITEMS, contact_name="Anna Payable",
                payment_instructions="IBAN DE89 3704 0044 0532 0130 00", signature_name="Alice Collector",
                signature_email="alice@acme.example")
    if template == "remittance_request":
        base.update(items=(), unapplied={"EUR": Decimal("250.00")})
    base.update(kw)
    return Message(**base)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_step_renders_in_every_language(template, language):
    r = render(message(template, language))
    assert r.language == language
    assert r.subject.endswith("— ACME Supplies (C1-20261123)") and len(r.subject) > 30
    assert "C1-20261123" in r.text and "Alice Collector" in r.text and "Anna Payable" in r.text
    assert r.html.startswith("<!doctype html>") and f'<html lang="{language}">' in r.html
    if template == "remittance_request":
        assert "250" in r.text and "INV-1" not in r.text
    else:  # one message lists every open item of the step, with totals per currency
        for invoice in ("INV-1", "INV-2", "INV-3"):
            assert r.text.count(invoice) == 1 and r.html.count(f"<td>{invoice}</td>") == 1
        assert "PO-9" in r.text


def _plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")  # babel uses (narrow) no-break spaces


def test_amounts_and_dates_follow_the_language():
    de = _plain(render(message("firm", "de")).text)
    assert "Summe EUR: 1.334,49 €" in de and "01.10.2026" in de
    assert "1 334,49 €" in _plain(render(message("firm", "fr")).text)
    assert "1.334,49 €" in _plain(render(message("firm", "es")).text)
    en = render(message("firm", "en")).text
    assert "€1,334.49" in en and "$10.00" in en and "Oct 1, 2026" in en


def test_tones_escalate_from_courtesy_to_demand():
    subjects = [render(message(t, "en")).subject for t in
                ("courtesy", "reminder", "second_reminder", "firm", "final_notice", "demand")]
    assert subjects[0].startswith("Upcoming payment due") and subjects[-1].startswith("Formal demand for payment")
    assert "collection" in render(message("final_notice", "en")).text
    assert "legal proceedings" in render(message("demand", "en")).text


def test_customer_data_cannot_inject_markup():
    evil = message("reminder", "en", customer_name="<img src=x onerror=alert(1)>", contact_name=None,
                   items=(Item("<b>INV</b>", "<script>x</script>", AS_OF, AS_OF, 1, Decimal("1.00"), "USD"),))
    r = render(evil)
    assert "<img" not in r.html and "<script>" not in r.html and "<b>INV</b>" not in r.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in r.html and "&lt;script&gt;" in r.html
    assert "<img src=x onerror=alert(1)>" in r.text  # plain text is not HTML: shown as written


@pytest.mark.parametrize("tags, expected", [(("de-AT", "en"), "de"), ((None, "fr"), "fr"), (("es_ES",), "es"),
                                             (("pt-BR", "it"), "en"), ((None, None), "en"), (("EN-gb",), "en")])
def test_the_contacts_language_else_the_customers_else_english(tags, expected):
    assert pick_language(*tags) == expected


def test_a_broken_template_is_refused_with_its_line():
    source = '{% extends "en/_layout.j2" %}\n{% block subject %}Hi{% endblock %}\n{% block intro %}{{ m.customer_name }\n{% endblock %}'
    with pytest.raises(InvalidInput, match=r"en/firm.j2:3: unexpected '}'"):
        check_source("en", "firm", source, sample=message("firm", "en"))
    with pytest.raises(InvalidInput, match=r"en/firm.j2:2: does not render: .*'nope'"):
        check_source("en", "firm", '{% extends "en/_layout.j2" %}\n{% block intro %}{{ m.nope }}{% endblock %}',
                     sample=message("firm", "en"))
    ok = check_source("en", "firm", '{% extends "en/_layout.j2" %}{% block subject %}Hello{% endblock %}'
                      '{% block intro %}Dear friends at {{ m.customer_name }}{% endblock %}{% block closing %}Bye{% endblock %}',
                      sample=message("firm", "en"))
    assert ok.subject.startswith("Hello") and "Müller & Söhne" in ok.text and "Müller &amp; Söhne" in ok.html
    with pytest.raises(InvalidInput, match="no template"):
        render(message("nonexistent", "en"))
    with pytest.raises(NotFound, match="not one of"):
        check_source("en", "../../etc/passwd", "x", sample=message("firm", "en"))


def test_an_edited_layout_must_render_every_step_of_its_language():
    layout = source_of("de", "_layout")
    broken = layout.replace("Bitte geben Sie", "{{ m.nope }}Bitte geben Sie", 1)
    assert broken != layout
    with pytest.raises(InvalidInput, match=r"de/_layout.j2:\d+: does not render"):
        check_source("de", "_layout", broken, sample=message("courtesy", "de"))
    edited = layout.replace("Bitte geben Sie", "GEÄNDERT Bitte geben Sie", 1)
    shown = check_source("de", "_layout", edited, sample=message("demand", "de"))
    assert "GEÄNDERT" in shown.text and shown.language == "de"
    assert "GEÄNDERT" not in render(message("demand", "de")).text  # nothing saved by a check


def test_an_override_wins_over_the_file_and_only_for_its_language():
    overrides = (("fr/reminder.j2", '{% extends "fr/_layout.j2" %}{% block subject %}Relance {{ m.reference }}{% endblock %}'
                                  "{% block intro %}Bonjour{% endblock %}{% block closing %}Merci{% endblock %}"),)
    assert render(message("reminder", "fr"), overrides=overrides).subject.startswith("Relance ")
    assert not render(message("reminder", "de"), overrides=overrides).subject.startswith("Relance ")


@pytest.mark.parametrize("attack", ["{{ m.__class__.__mro__[1].__subclasses__() }}",
                                     "{{ m.items.__class__.__init__.__globals__ }}",
                                     "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
                                     "{% set x = m.items.append(1) %}"])
def test_an_edited_template_cannot_reach_python(attack):
    source = '{% extends "en/_layout.j2" %}{% block intro %}' + attack + "{% endblock %}"
    with pytest.raises(InvalidInput):
        check_source("en", "firm", source, sample=message("firm", "en"))


def test_plain_text_has_no_runs_of_blank_lines():
    text = render(message("remittance_request", "fr", signature_name="")).text
    assert not re.search(r"\n\n\n", text) and text.endswith("\n") and not text.endswith("\n\n")
