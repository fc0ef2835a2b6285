"""Render a dunning message (pure): one message per customer per step, its open items grouped in one
table, in the contact's language (else the customer's, else English), subject + plain text + HTML.

Templates live in ``outreach/templates/<language>/<template>.j2`` and extend that language's
``_layout.j2``. The same file renders three times: the subject and the text part without escaping,
the HTML part autoescaped — customer data is untrusted and can never inject markup.

Admins may replace any of them in the web app: ``overrides`` maps ``<language>/<name>.j2`` to the edited
source, which wins over the file. Every template runs in the bounded sandbox (``sandbox.py``: Jinja's
immutable sandbox with a cap on rendered size and render time), so an edited one can reach only the
merge fields, never Python internals, and cannot make a render run away.
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
from jinja2 import (BaseLoader, Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound,
                    TemplateSyntaxError)
from jinja2.sandbox import SecurityError

from arcollect.errors import InvalidInput, NotFound
from arcollect.money import format_money
from arcollect.outreach.sandbox import BoundedSandbox, LimitExceeded, Limits, bounded, stream

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "de", "fr", "es")
TEMPLATE_NAMES = ("courtesy", "reminder", "second_reminder", "firm", "final_notice", "demand", "remittance_request")
LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}
EDITABLE = ("_layout", *TEMPLATE_NAMES)
Overrides = tuple[tuple[str, str], ...]  # (("en/reminder.j2", source), ...) — hashable, so environments are cached
EDITED = "edited:"  # file name prefix of an overridden template in error messages and tracebacks


@dataclass(frozen=True)
class Item:
    invoice_id: str
    po_number: str | None
    issue_date: dt.date
    due_date: dt.date
    days_past_due: int
    open_amount: Decimal
    currency: str
    disputed: Decimal = Decimal(0)  # the part of open_amount under an open dispute (statements list it)


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


class _Loader(BaseLoader):
    """Edited sources first, then the files."""

    def __init__(self, root: str, overrides: Overrides) -> None:
        self.files = FileSystemLoader(root)
        self.edited = dict(overrides)

    def get_source(self, environment: Environment, template: str):  # type: ignore[no-untyped-def]
        if template in self.edited:
            return self.edited[template], EDITED + template, lambda: True
        return self.files.get_source(environment, template)


@lru_cache(maxsize=32)
def _environment(language: str, escape: bool, root: str = str(TEMPLATES), overrides: Overrides = ()) -> Environment:
    env = BoundedSandbox(loader=_Loader(root, overrides), autoescape=escape, undefined=StrictUndefined,
                                        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    _filters(env, language)
    return env


def _where(exc: BaseException, default: str) -> str:
    """``file:line`` of the template frame a render error happened in (Jinja maps them to template lines)."""
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        name = frame.filename
        if name.startswith(EDITED) or name.endswith(".j2"):
            short = name.removeprefix(EDITED) if name.startswith(EDITED) else "/".join(Path(name).parts[-2:])
            return f"{short}:{frame.lineno}"
    return default


def _refused(exc: BaseException, name: str) -> InvalidInput:
    """The one mapping of a template's failure to InvalidInput naming the template line (and the limit)."""
    if isinstance(exc, TemplateSyntaxError):
        return InvalidInput(f"{(exc.name or name)}:{exc.lineno}: {exc.message}")
    if isinstance(exc, TemplateNotFound):
        return InvalidInput(f"no template {name!r} (templates: {', '.join(TEMPLATE_NAMES)})")
    if isinstance(exc, SecurityError):
        return InvalidInput(f"{_where(exc, name)}: not allowed in a template: {exc}")
    if isinstance(exc, LimitExceeded):
        return InvalidInput(f"{_where(exc, name)}: refused: {exc}")
    if isinstance(exc, RecursionError):
        return InvalidInput(f"{_where(exc, name)}: refused: the template calls itself without end")
    return InvalidInput(f"{_where(exc, name)}: does not render: {exc}")


RENDER_ERRORS = (TemplateError, LimitExceeded, RecursionError, TypeError, ValueError, ArithmeticError, LookupError,
                 AttributeError)


def render(message: Message, *, root: Path = TEMPLATES, overrides: Overrides = (),
           limits: Limits = Limits()) -> Rendered:
    """Subject, plain text and HTML of a message; InvalidInput names a missing template, the broken line or
    the limit a render went over (``limits``: Settings.template_max_output / template_max_seconds)."""
    language = message.language if message.language in LANGUAGES else "en"
    name = f"{language}/{message.template}.j2"
    values = {"m": message, "totals": totals(message.items)}
    parts = {}
    try:
        with bounded(limits):  # one budget for the three parts of the message
            for part, escape in (("subject", False), ("text", False), ("html", True)):
                template = _environment(language, escape, str(root), overrides).get_template(name)
                parts[part] = stream(template, part=part, **values).strip()
    except RENDER_ERRORS as exc:
        raise _refused(exc, name) from None
    return Rendered(language, " ".join(parts["subject"].split()), _tidy(parts["text"]), parts["html"])


def _tidy(text: str) -> str:
    """Plain text: no trailing spaces, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def render_part(message: Message, part: str, *, escape: bool = True, root: Path = TEMPLATES,
                overrides: Overrides = (), limits: Limits = Limits()) -> str:
    """One block of a message's template (``subject``, ``intro`` or ``closing``), e.g. for a letter."""
    language = message.language if message.language in LANGUAGES else "en"
    name = f"{language}/{message.template}.j2"
    try:
        with bounded(limits):
            template = _environment(language, escape, str(root), overrides).get_template(name)
            return stream(template, part=part, m=message, totals=totals(message.items)).strip()
    except RENDER_ERRORS as exc:
        raise _refused(exc, name) from None


def key(language: str, name: str) -> str:
    """The override key of a template, after checking it is one that can be edited."""
    if language not in LANGUAGES:
        raise NotFound(f"language: {language!r} is not one of {', '.join(LANGUAGES)}")
    if name not in EDITABLE:
        raise NotFound(f"template: {name!r} is not one of {', '.join(EDITABLE)}")
    return f"{language}/{name}.j2"


def source_of(language: str, name: str, *, overrides: Overrides = (), root: Path = TEMPLATES) -> str:
    """The source in force: the edited one, else the file's."""
    k = key(language, name)
    return dict(overrides).get(k) or (root / k).read_text(encoding="utf-8")


def check_source(language: str, name: str, source: str, *, sample: Message, overrides: Overrides = (),
                 root: Path = TEMPLATES, limits: Limits = Limits()) -> Rendered:
    """Compile an edited template and render it on a real account's message, as it would be sent; a broken
    one is refused with the line of the error (nothing is saved here). An edited layout must render
    every step of its language; an edited step renders the sample as that step."""
    k = key(language, name)
    if len(source) > 100_000:
        raise InvalidInput(f"{k}: the template is longer than 100,000 characters")
    edited = tuple((n, s) for n, s in overrides if n != k) + ((k, source),)
    steps = TEMPLATE_NAMES if name == "_layout" else (name,)
    shown = sample.template if sample.template in steps else steps[0]
    out = {step: render(Message(**{**sample.__dict__, "template": step, "language": language}), root=root,
                        overrides=edited, limits=limits) for step in steps}
    for step, r in out.items():
        if not r.subject or not r.text.strip():
            raise InvalidInput(f"{k}: the {step} message renders an empty {'subject' if not r.subject else 'text'}"
                               " (fill the blocks subject, intro and closing)")
    return out[shown]
