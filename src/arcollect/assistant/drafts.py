"""Reply drafts (pure): what a collector answers to a triaged reply — confirm a promise, acknowledge a dispute
with its case number, send a requested copy, answer a question from the knowledge base (the answer quoted as
the team wrote it, the document it came from named) — in the customer's language (en, de, fr, es) and the tone of the
account's dunning stage (``friendly`` before the playbook turned firm, ``firm`` after). Amounts and dates are
written the customer's way (babel). A draft is only words: the service queues it for a person's approval."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from babel.dates import format_date

from arcollect.money import format_money

KINDS = ("confirm_promise", "acknowledge_dispute", "invoice_copy", "answer_question")
TONES = ("friendly", "firm")
LANGUAGES = ("en", "de", "fr", "es")
FIRM_TEMPLATES = frozenset({"firm", "final", "final_notice", "demand", "pre_legal", "legal"})
_LOCALE = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}

_GREETING = {"en": ("Hello {name},", "Dear {name},"), "de": ("Hallo {name},", "Sehr geehrte Damen und Herren,"),
             "fr": ("Bonjour {name},", "Madame, Monsieur,"), "es": ("Hola {name}:", "Estimados señores:")}
_CLOSING = {"en": ("Thank you and kind regards,", "Regards,"), "de": ("Vielen Dank und freundliche Grüße", "Mit freundlichen Grüßen"),
            "fr": ("Merci et bien cordialement,", "Salutations distinguées,"), "es": ("Gracias y un saludo,", "Atentamente,")}
_BODY = {
    "confirm_promise": {
        "en": ("Thank you for your reply. We have noted your payment of {amount} for {invoices} on {date}.",
               "We have noted your commitment to pay {amount} for {invoices} by {date}. Please make sure the payment "
               "reaches us on that date; otherwise we will have to continue our collection process."),
        "de": ("vielen Dank für Ihre Rückmeldung. Wir haben Ihre Zahlung von {amount} für {invoices} zum {date} vermerkt.",
               "wir haben Ihre Zusage vermerkt, {amount} für {invoices} bis zum {date} zu zahlen. Bitte stellen Sie "
               "sicher, dass die Zahlung zu diesem Termin eingeht; andernfalls setzen wir unser Mahnverfahren fort."),
        "fr": ("Merci pour votre réponse. Nous avons bien noté votre paiement de {amount} pour {invoices} le {date}.",
               "Nous prenons note de votre engagement de régler {amount} pour {invoices} au plus tard le {date}. "
               "À défaut de paiement à cette date, nous poursuivrons notre procédure de recouvrement."),
        "es": ("Gracias por su respuesta. Hemos anotado su pago de {amount} por {invoices} el {date}.",
               "Tomamos nota de su compromiso de pagar {amount} por {invoices} a más tardar el {date}. Si el pago no "
               "se recibe en esa fecha, continuaremos con nuestro proceso de cobro."),
    },
    "acknowledge_dispute": {
        "en": ("Thank you for letting us know. We have opened case {case} about {invoices} and passed it to our {team} "
               "team; we will come back to you as soon as it is resolved.",
               "We have opened case {case} about {invoices} and passed it to our {team} team. The undisputed "
               "balance of your account remains due."),
        "de": ("vielen Dank für Ihren Hinweis. Wir haben den Vorgang {case} zu {invoices} eröffnet und an unser Team "
               "{team} weitergegeben; wir melden uns, sobald er geklärt ist.",
               "wir haben den Vorgang {case} zu {invoices} eröffnet und an unser Team {team} weitergegeben. Der "
               "unstrittige Saldo Ihres Kontos bleibt fällig."),
        "fr": ("Merci de nous avoir informés. Nous avons ouvert le dossier {case} concernant {invoices} et l'avons "
               "transmis à notre équipe {team} ; nous revenons vers vous dès qu'il sera résolu.",
               "Nous avons ouvert le dossier {case} concernant {invoices} et l'avons transmis à notre équipe {team}. "
               "Le solde non contesté de votre compte reste exigible."),
        "es": ("Gracias por avisarnos. Hemos abierto el caso {case} sobre {invoices} y lo hemos pasado a nuestro "
               "equipo de {team}; le responderemos en cuanto esté resuelto.",
               "Hemos abierto el caso {case} sobre {invoices} y lo hemos pasado a nuestro equipo de {team}. El saldo "
               "no disputado de su cuenta sigue siendo exigible."),
    },
    "invoice_copy": {
        "en": ("As requested, please find attached a statement of your account with {invoices}.",
               "As requested, attached is a statement of your account with {invoices}. Please arrange payment of the "
               "overdue items without further delay."),
        "de": ("wie gewünscht finden Sie anbei einen Kontoauszug mit {invoices}.",
               "wie gewünscht erhalten Sie anbei einen Kontoauszug mit {invoices}. Bitte begleichen Sie die "
               "überfälligen Posten ohne weitere Verzögerung."),
        "fr": ("Comme demandé, vous trouverez ci-joint un relevé de votre compte avec {invoices}.",
               "Comme demandé, vous trouverez ci-joint un relevé de votre compte avec {invoices}. Merci de régler "
               "sans délai les échéances dépassées."),
        "es": ("Tal como nos pidió, adjuntamos un extracto de su cuenta con {invoices}.",
               "Tal como nos pidió, adjuntamos un extracto de su cuenta con {invoices}. Les rogamos abonen las "
               "partidas vencidas sin más demora."),
    },
    "answer_question": {
        "en": ("Thank you for your question. Here is the answer from our document {source}:\n\n{answer}\n\n"
               "If anything is still unclear, just reply to this message.",
               "In answer to your question, from our document {source}:\n\n{answer}\n\nPlease settle the overdue "
               "items of your account without further delay."),
        "de": ("vielen Dank für Ihre Frage. Hier die Antwort aus unserem Dokument {source}:\n\n{answer}\n\n"
               "Wenn noch etwas unklar ist, antworten Sie einfach auf diese Nachricht.",
               "zu Ihrer Frage, aus unserem Dokument {source}:\n\n{answer}\n\nBitte begleichen Sie die überfälligen "
               "Posten Ihres Kontos ohne weitere Verzögerung."),
        "fr": ("Merci pour votre question. Voici la réponse tirée de notre document {source} :\n\n{answer}\n\n"
               "Si quelque chose reste flou, il vous suffit de répondre à ce message.",
               "En réponse à votre question, extrait de notre document {source} :\n\n{answer}\n\nMerci de régler "
               "sans délai les échéances dépassées de votre compte."),
        "es": ("Gracias por su pregunta. Esta es la respuesta de nuestro documento {source}:\n\n{answer}\n\n"
               "Si algo no queda claro, responda a este mensaje.",
               "En respuesta a su pregunta, de nuestro documento {source}:\n\n{answer}\n\nLes rogamos abonen las "
               "partidas vencidas de su cuenta sin más demora."),
    },
}
_QUOTES = {"en": "“{}”", "de": "„{}“", "fr": "« {} »", "es": "«{}»"}
_SUBJECT = {"confirm_promise": {"en": "Your payment of {invoices}", "de": "Ihre Zahlung zu {invoices}",
                                "fr": "Votre paiement de {invoices}", "es": "Su pago de {invoices}"},
            "acknowledge_dispute": {"en": "Case {case}: {invoices}", "de": "Vorgang {case}: {invoices}",
                                    "fr": "Dossier {case} : {invoices}", "es": "Caso {case}: {invoices}"},
            "invoice_copy": {"en": "Statement of account: {invoices}", "de": "Kontoauszug: {invoices}",
                             "fr": "Relevé de compte : {invoices}", "es": "Extracto de cuenta: {invoices}"},
            "answer_question": {"en": "Your question", "de": "Ihre Frage", "fr": "Votre question", "es": "Su pregunta"}}
_AND = {"en": "and", "de": "und", "fr": "et", "es": "y"}
_ALL = {"en": "your open invoices", "de": "Ihren offenen Rechnungen", "fr": "vos factures ouvertes",
        "es": "sus facturas pendientes"}


@dataclass(frozen=True)
class Draft:
    kind: str
    language: str
    tone: str
    subject: str
    text: str
    keep: tuple[str, ...]  # the facts any rewording must keep verbatim (case number, date, amount, invoices)


def tone_of(last_template: str | None) -> str:
    """``firm`` once the account's last dunning message was a firm one, else ``friendly``."""
    return "firm" if (last_template or "").lower() in FIRM_TEMPLATES else "friendly"


def _invoices(lang: str, invoices: list[str]) -> str:
    if not invoices:
        return _ALL[lang]
    return invoices[0] if len(invoices) == 1 else f"{', '.join(invoices[:-1])} {_AND[lang]} {invoices[-1]}"


def compose(kind: str, *, language: str, tone: str, company: str, name: str | None = None,
            invoices: list[str] | None = None, date: dt.date | None = None, amount: Decimal | None = None,
            currency: str | None = None, case: str | None = None, team: str | None = None,
            answer: str | None = None, source: str | None = None, original_subject: str = "") -> Draft:
    """The draft of ``kind`` (one of KINDS) in ``language`` (en when not one of LANGUAGES) and ``tone``;
    ``answer_question`` quotes ``answer`` (from the knowledge base) and names its ``source`` document."""
    if kind not in KINDS:
        raise ValueError(f"draft kind {kind!r} is not one of {', '.join(KINDS)}")
    lang = language if language in LANGUAGES else "en"
    firm = tone == "firm"
    locale = _LOCALE[lang]
    slots = {"invoices": _invoices(lang, list(invoices or [])), "case": case or "", "team": team or "",
             "date": format_date(date, format="long", locale=locale) if date else "",
             "amount": format_money(amount, currency, locale) if amount is not None and currency else ""}
    if kind == "answer_question":
        if not (answer or "").strip() or not (source or "").strip():
            raise ValueError("an answer_question draft needs the answer and the document it comes from")
        slots.update(answer=answer.strip(), source=_QUOTES[lang].format(source.strip()))
    if kind == "confirm_promise" and not slots["amount"]:
        slots["amount"] = {"en": "the amount due", "de": "des offenen Betrags", "fr": "du montant dû",
                           "es": "del importe pendiente"}[lang]
    greeting = _GREETING[lang][firm].format(name=name) if name else _GREETING[lang][1]
    body = _BODY[kind][lang][firm].format(**slots)
    text = f"{greeting}\n\n{body}\n\n{_CLOSING[lang][firm]}\n{company}"
    subject = _SUBJECT[kind][lang].format(**slots)
    if original_subject:
        subject = original_subject if original_subject.lower().startswith(("re:", "aw:", "rv:")) else f"Re: {original_subject}"
    keep = tuple(v for v in (slots["case"], slots["date"], slots["amount"] if amount is not None else "",
                             *(invoices or []), slots.get("source", ""), slots.get("answer", "")) if v)
    return Draft(kind, lang, tone, subject, text, keep)
