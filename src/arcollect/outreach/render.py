"""Render a dunning message (pure): one message per customer per step, its open items grouped in one
table, in the contact's language (else the customer's, else English), subject + plain text + HTML.

Templates live in ``outreach/templates/<language>/<template>.j2`` and extend that language's
``_layout.j2``. The same file renders three times: the subject and the text part without escaping,
the HTML part autoescaped — customer data is untrusted and can never inject markup.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from babel.dates import format_date
from jinja2 import (Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound,
                    TemplateSyntaxError)

from arcollect.errors import InvalidInput
from arcollect.money import format_money

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "de", "fr", "es")
TEMPLATE_NAMES = ("courtesy", "reminder", "second_reminder", "firm", "final_notice", "demand", "remittance_request")
LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}


@dataclass(frozen=True)
class Item:
    invoice_id: str
    po_number: str | None
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    open_amount: Decimal
    currency: str


@dataclass(frozen=True)
class Message:
    """Everything a template may use (its merge fields)."""

    template: str
    language: str
    as_of: dt.date
    company: str
    customer_id: str
    customer_name: str
    reference: str
    items: tuple[Item, ...] = ()
    contact_name: str | None = None
    unapplied: Mapping[str, Decimal] = field(default_factory=dict)
    payment_instructions: str = ""
    signature_name: str = ""
    signature_email: str = ""


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    text: str
    html: str


def pick_language(*tags: str | None) -> str:
    """The first supported language among the tags (contact's, then customer's), else English."""
    for tag in tags:
        if tag:
            base = tag.replace("_", "-").split("-")[0].lower()
            if base in LANGUAGES:
                return base
    return "en"


def totals(items: tuple[Item, ...]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for i in items:
        out[i.currency] = out.get(i.currency, Decimal(0)) + i.open_amount
    return dict(sorted(out.items()))


def _filters(env: Environment, language: str) -> None:
    locale = LOCALES[language]
    env.filters["money"] = lambda amount, currency: format_money(Decimal(amount), currency, locale)
    env.filters["day"] = lambda d: format_date(d, format="medium", locale=locale)


@lru_cache(maxsize=16)
def _environment(language: str, escape: bool, root: str = str(TEMPLATES)) -> Environment:
    env = Environment(loader=FileSystemLoader(root), autoescape=escape, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    _filters(env, language)
    return env


def render(message: Message, *, root: Path = TEMPLATES) -> Rendered:
    """Subject, plain text and HTML of a message; InvalidInput names a missing template or a broken line."""
    language = message.language if message.language in LANGUAGES else "en"
    name = f"{language}/{message.template}.j2"
    values = {"m": message, "totals": totals(message.items)}
    parts = {}
    try:
        for part, escape in (("subject", False), ("text", False), ("html", True)):
            template = _environment(language, escape, str(root)).get_template(name)
            parts[part] = template.render(part=part, **values).strip()
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"{exc.name or name}:{exc.lineno}: {exc.message}") from None
    except TemplateNotFound:
        raise InvalidInput(f"no template {name!r} (templates: {', '.join(TEMPLATE_NAMES)})") from None
    except TemplateError as exc:
        raise InvalidInput(f"{name}: {exc}") from None
    return Rendered(language, " ".join(parts["subject"].split()), _tidy(parts["text"]), parts["html"])


def _tidy(text: str) -> str:
    """Plain text: no trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_part(message: Message, part: str, *, escape: bool = True, root: Path = TEMPLATES) -> str:
    """One block of a message's template (``subject``, ``intro`` or ``closing``), e.g. for a letter."""
    language = message.language if message.language in LANGUAGES else "en"
    template = _environment(language, escape, str(root)).get_template(f"{language}/{message.template}.j2")
    return template.render(part=part, m=message, totals=totals(message.items)).strip()


def check_source(source: str, *, language: str = "en", sample: Message) -> Rendered:
    """Compile and render an edited template against a real account; a broken one is refused with
    the line of the error (nothing is saved by this function)."""
    env = _environment(language, True)
    try:
        env.parse(source)
        rendered = {}
        for part, escape in (("subject", False), ("text", False), ("html", True)):
            template = _environment(language, escape).from_string(source)
            rendered[part] = template.render(part=part, m=sample, totals=totals(sample.items)).strip()
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"line {exc.lineno}: {exc.message}") from None
    except TemplateError as exc:
        raise InvalidInput(f"the template does not render: {exc}") from None
    return Rendered(language, " ".join(rendered["subject"].split()), _tidy(rendered["text"]), rendered["html"])
