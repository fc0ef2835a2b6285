"""PDF letters (pure apart from WeasyPrint): statement of account, final notice and demand letter, with
a letterhead, page numbers, A4 or Letter, fonts embedded. The wording of the notices is the same as
their emails' (one text per step and language)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from arcollect.errors import InvalidInput
from arcollect.pdf import html_pages, html_to_pdf, split_pdf
from arcollect.outreach.render import LANGUAGES, Message, Overrides, _filters, render_part, totals
from arcollect.outreach.sandbox import Limits

LETTERS = Path(__file__).parent / "letters"
KINDS = ("statement", "final_notice", "demand")
PAPERS = ("A4", "Letter")
LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE"})  # where Letter paper is the norm

LABELS = {
    "en": dict(in_dispute="In dispute", disputed="of which in dispute", net="Net balance", current="Current",
               dispute_note="These amounts are under review and are not due until the dispute is resolved.",
               statement="Statement of account", page="Page", attention="Attn.", account="Account", reference="Reference",
               aging="Aging summary", currency="Currency", total="Total", open_items="Open items", invoice="Invoice",
               po="PO", issued="Issued", due="Due", days="Days past due", open="Open amount", none="No open items.",
               unapplied="Unapplied payments and credits on your account", regards="Kind regards,",
               statement_intro="Below is the statement of your account with us. Please let us know if anything differs from your records."),
    "de": dict(in_dispute="Strittig", disputed="davon strittig", net="Saldo", current="Nicht fällig",
               dispute_note="Diese Beträge werden geprüft und sind bis zur Klärung nicht fällig.",
               statement="Kontoauszug", page="Seite", attention="z. Hd.", account="Kundennummer", reference="Referenz",
               aging="Fälligkeitsübersicht", currency="Währung", total="Summe", open_items="Offene Posten", invoice="Rechnung",
               po="Bestellnr.", issued="Rechnungsdatum", due="Fälligkeit", days="Tage überfällig", open="Offener Betrag",
               none="Keine offenen Posten.", unapplied="Nicht zugeordnete Zahlungen und Gutschriften", regards="Mit freundlichen Grüßen",
               statement_intro="Anbei erhalten Sie den Auszug Ihres Kontos bei uns. Bitte teilen Sie uns mit, falls etwas von Ihren Unterlagen abweicht."),
    "fr": dict(in_dispute="En litige", disputed="dont en litige", net="Solde net", current="Non échu",
               dispute_note="Ces montants sont en cours d'examen et ne sont pas exigibles avant la résolution du litige.",
               statement="Relevé de compte", page="Page", attention="À l'attention de", account="Compte", reference="Référence",
               aging="Balance âgée", currency="Devise", total="Total", open_items="Factures ouvertes", invoice="Facture",
               po="Bon de commande", issued="Émise le", due="Échéance", days="Jours de retard", open="Montant dû",
               none="Aucune facture ouverte.", unapplied="Paiements et avoirs non affectés", regards="Cordialement,",
               statement_intro="Veuillez trouver ci-dessous le relevé de votre compte. Merci de nous signaler toute différence avec vos écritures."),
    "es": dict(in_dispute="En disputa", disputed="de lo cual en disputa", net="Saldo neto", current="No vencido",
               dispute_note="Estos importes están en revisión y no son exigibles hasta que se resuelva la disputa.",
               statement="Extracto de cuenta", page="Página", attention="A la atención de", account="Cuenta", reference="Referencia",
               aging="Antigüedad de saldos", currency="Moneda", total="Total", open_items="Partidas abiertas", invoice="Factura",
               po="Pedido", issued="Emisión", due="Vencimiento", days="Días de retraso", open="Importe pendiente",
               none="Sin partidas abiertas.", unapplied="Pagos y abonos sin aplicar", regards="Atentamente,",
               statement_intro="A continuación figura el extracto de su cuenta. Le rogamos nos indique cualquier diferencia con sus registros."),
}


@dataclass(frozen=True)
class AgingLine:
    currency: str
    buckets: tuple[Decimal, ...]
    total: Decimal
    disputed: Decimal = Decimal(0)  # inside the buckets too
    unapplied: Decimal = Decimal(0)  # unapplied cash and credits
    net: Decimal | None = None  # total − unapplied

    @property
    def net_balance(self) -> Decimal:
        return self.total - self.unapplied if self.net is None else self.net


def paper_for(setting: str, country: str | None) -> str:
    """``A4``, ``Letter``, or ``auto``: Letter for the Americas' Letter countries, else A4."""
    if setting in PAPERS:
        return setting
    return "Letter" if (country or "").upper() in LETTER_COUNTRIES else "A4"


def _css_string(value: object) -> Markup:
    """Text safe inside a CSS string in a <style> element (quotes, backslashes, '<' escaped)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ").replace("\n", " ")
    return Markup(text)


@lru_cache(maxsize=8)
def _environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(LETTERS)), autoescape=True, undefined=StrictUndefined)
    _filters(env, language)
    env.filters["css"] = _css_string
    return env


def letter_html(message: Message, *, kind: str, aging: Sequence[AgingLine] = (), bucket_names: Sequence[str] = (),
                company_address: str = "", customer_address: str = "", paper: str = "A4",
                overrides: Overrides = (), limits: Limits = Limits(), page_name: str = "",
                one_page: bool = False) -> str:
    """The letter's HTML; ``page_name`` names its pages (letters of many customers rendered as one document),
    ``one_page`` numbers its page "1 / 1" (such a letter, when it is one page long)."""
    if kind not in KINDS:
        raise InvalidInput(f"letter: {kind!r} is not one of {', '.join(KINDS)}")
    language = message.language if message.language in LANGUAGES else "en"
    labels = LABELS[language]
    if kind == "statement":
        title, intro, closing = labels["statement"], labels["statement_intro"], ""
    else:
        notice = Message(**{**message.__dict__, "template": kind})
        title, intro, closing = (render_part(notice, part, escape=False, overrides=overrides, limits=limits)
                                 for part in ("title", "intro", "closing"))
    template = _environment(language).get_template("letter.html")
    aging = list(aging)
    return template.render(m=message, L=labels, title=title, intro=intro, closing=closing, aging=aging,
                           aging_by={a.currency: a for a in aging} if kind == "statement" else {},
                           disputed=[i for i in message.items if i.disputed],
                           bucket_names=list(bucket_names), totals=totals(message.items), paper=paper,
                           company_address=company_address, customer_address=customer_address,
                           page_name=page_name, one_page=one_page)


def letter_pdf(message: Message, **kwargs: object) -> bytes:
    """The letter as PDF bytes (fonts embedded by WeasyPrint)."""
    return html_pdf(letter_html(message, **kwargs))  # type: ignore[arg-type]


def page_html(template: str, **context: object) -> str:
    """Another document of this folder (the case history) rendered with the letters' filters, in English."""
    return _environment("en").get_template(template).render(**context)


def letters_pdfs(htmls: Sequence[str]) -> list[bytes | None]:
    """Letters (each from ``letter_html`` with its own ``page_name`` and ``one_page``) rendered as ONE document,
    then split into one PDF per letter: a letter's PDF, or None for a letter longer than one page (its page
    numbers must count its own pages: render it alone)."""
    if not htmls:
        return []
    styles, bodies, names = [], [], []
    for html in htmls:
        head, rest = html.split("<body>", 1)
        parts = head.split("<style>")
        if not styles:
            styles.append(parts[2].split("</style>")[0])  # the letters' shared style sheet, once
        styles.insert(len(names), parts[1].split("</style>")[0])  # each letter's own pages
        names.append(rest.split(' id="', 1)[1].split('"', 1)[0])
        bodies.append(rest.rsplit("</body>", 1)[0])
    html = (htmls[0].split("<style>", 1)[0] + "".join(f"<style>{s}</style>" for s in styles) + "</head><body>"
            + "".join(bodies) + "</body></html>")
    return split_pdf(*html_pages(html, base_url=str(LETTERS), anchors=names))


def html_pdf(html: str) -> bytes:
    """HTML of this folder's documents as PDF bytes (fonts embedded, one font configuration per thread)."""
    return html_to_pdf(html, base_url=str(LETTERS))
