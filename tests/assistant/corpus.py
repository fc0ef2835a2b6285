"""A labelled corpus of customer replies to dunning (seeded, deterministic): the eight intents of CONTRACT §11 in
English (UK and US date order), German, French and Spanish, as raw RFC 5322 mail, with the noise real replies
carry — greetings, quoted history of our reminder (other invoices, amounts and dates), Outlook header blocks,
signatures with phone numbers, postcodes and VAT ids, legal disclaimers, HTML-only bodies, forwards, typos.
Each sample states what a person would read from it: intent, promise date and amount, invoices, reason code,
return date and new contact address."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime

LANGS = ("en", "en_us", "de", "fr", "es")
INTENTS = ("promise_to_pay", "dispute", "paid", "invoice_copy", "out_of_office", "payment_plan", "wrong_contact",
           "other")
# the account's documents: INV-1001…INV-1060 and segmented numbers the remittance reader normalises
KNOWN_INVOICES = tuple(f"INV-{n}" for n in range(1001, 1061)) + ("RE-2026-0417", "RE-2026-0512", "F2026-0033")


@dataclass
class Sample:
    sid: str
    language: str  # en, de, fr, es (en_us is English written by a customer in the United States)
    month_first: bool
    intent: str
    raw: bytes
    as_of: dt.date
    promise_date: dt.date | None = None
    amount: Decimal | None = None  # the amount the customer states (promise, paid, plan)
    invoices: tuple[str, ...] = ()
    reason: str | None = None
    return_date: dt.date | None = None
    new_contact: str | None = None
    noise: tuple[str, ...] = field(default_factory=tuple)


MONTHS = {"en": "January February March April May June July August September October November December".split(),
          "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
          "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
          "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()}
WEEKDAYS = {"en": "Monday Tuesday Wednesday Thursday Friday".split(),
            "de": "Montag Dienstag Mittwoch Donnerstag Freitag".split(),
            "fr": "lundi mardi mercredi jeudi vendredi".split(),
            "es": "lunes martes miércoles jueves viernes".split()}


def _after(d: dt.date, wd: int) -> dt.date:
    return d + dt.timedelta(days=(wd - d.weekday() - 1) % 7 + 1)


def _eom(d: dt.date) -> dt.date:
    nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _next_week_friday(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=7 - d.weekday() + 4)


def date_phrase(rng: random.Random, lang: str, as_of: dt.date, month_first: bool) -> tuple[str, dt.date]:
    """A way a customer writes the day they will pay, and the day it means."""
    L = "en" if lang == "en_us" else lang
    wd = rng.randrange(5)
    day = as_of + dt.timedelta(days=rng.randrange(3, 45))
    n = rng.choice((5, 7, 10, 14, 30))
    w, m = WEEKDAYS[L][wd], MONTHS[L][day.month - 1]
    options = {
        "en": [(f"by {w}", _after(as_of, wd)), (f"next {w}", _after(as_of, wd)), (f"on {w}", _after(as_of, wd)),
               ("by the end of the month", _eom(as_of)), ("EOM", _eom(as_of)), (f"within {n} days", as_of + dt.timedelta(n)),
               ("next week", _next_week_friday(as_of)), ("tomorrow", as_of + dt.timedelta(1)),
               (f"on {day.day} {m}", day), (f"on {m} {day.day}", day), (f"by {day.isoformat()}", day),
               (f"on {day.day:02d}/{day.month:02d}/{day.year}" if not month_first else f"on {day.month:02d}/{day.day:02d}/{day.year}", day),
               (f"with our payment run on {w}s", _after(as_of, wd))],
        "de": [(f"bis {w}", _after(as_of, wd)), (f"nächsten {w}", _after(as_of, wd)), (f"am {w}", _after(as_of, wd)),
               ("bis Ende des Monats", _eom(as_of)), ("zum Monatsende", _eom(as_of)), (f"innerhalb von {n} Tagen", as_of + dt.timedelta(n)),
               ("nächste Woche", _next_week_friday(as_of)), ("morgen", as_of + dt.timedelta(1)),
               (f"am {day.day:02d}.{day.month:02d}.", day), (f"bis zum {day.day}. {m}", day), (f"am {day.day:02d}.{day.month:02d}.{day.year}", day),
               (f"mit unserem Zahlungslauf am {w}", _after(as_of, wd))],
        "fr": [(f"{w} prochain", _after(as_of, wd)), (f"d'ici {w}", _after(as_of, wd)), ("à la fin du mois", _eom(as_of)),
               (f"sous {n} jours", as_of + dt.timedelta(n)), (f"dans les {n} jours", as_of + dt.timedelta(n)),
               ("la semaine prochaine", _next_week_friday(as_of)), ("demain", as_of + dt.timedelta(1)),
               (f"le {day.day} {m}", day), (f"le {day.day:02d}/{day.month:02d}/{day.year}", day), (f"d'ici le {day.day:02d}/{day.month:02d}", day),
               (f"lors de notre campagne de paiement du {w}", _after(as_of, wd))],
        "es": [(f"el próximo {w}", _after(as_of, wd)), (f"el {w}", _after(as_of, wd)), ("a finales de mes", _eom(as_of)),
               (f"en {n} días", as_of + dt.timedelta(n)), (f"dentro de {n} días", as_of + dt.timedelta(n)),
               ("la próxima semana", _next_week_friday(as_of)), ("mañana", as_of + dt.timedelta(1)),
               (f"el {day.day} de {m}", day), (f"el {day.day:02d}/{day.month:02d}/{day.year}", day),
               (f"en nuestra remesa de pagos del {w}", _after(as_of, wd))],
    }[L]
    return rng.choice(options)


def invoice_written(rng: random.Random, lang: str, invoice_id: str) -> str:
    """An invoice number as customers write it: with or without prefix, #, label, spaces, leading zeros."""
    digits = invoice_id.split("-")[-1] if invoice_id.startswith("INV-") else invoice_id
    L = "en" if lang == "en_us" else lang
    label = {"en": ["invoice", "inv.", "invoice no.", "Invoice #"], "de": ["Rechnung", "Rechnung Nr.", "RE", "Rg.-Nr."],
             "fr": ["facture", "facture n°", "la facture", "FA"], "es": ["factura", "factura nº", "la factura", "fra."]}[L]
    if invoice_id.startswith("RE-2026-"):
        shape = rng.choice([invoice_id, invoice_id.replace("-", " "), "2026/" + str(int(invoice_id[-4:]))])
    elif invoice_id.startswith("F2026"):
        shape = rng.choice([invoice_id, "F 2026-0033", "f2026-0033"])
    else:
        shape = rng.choice([invoice_id, invoice_id.lower(), f"INV {digits}", f"#{digits}", digits, f"INV-0{digits}"])
    return f"{rng.choice(label)} {shape}"


def money(rng: random.Random, lang: str, amount: Decimal) -> str:
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}"
    if lang in ("en", "en_us"):
        return rng.choice([f"{grouped}.{cents} EUR", f"EUR {grouped}.{cents}", f"€{grouped}.{cents}"])
    grouped = grouped.replace(",", ".")
    return rng.choice([f"{grouped},{cents} EUR", f"{grouped},{cents} €", f"EUR {grouped},{cents}"])


# ---- what customers write, per intent and language: {inv} invoices named, {date} a date phrase, {amt} an amount
T: dict[str, dict[str, list[str]]] = {
    "promise_to_pay": {
        "en": ["We will pay {inv} {date}.", "Thanks for the reminder. {inv} will be paid {date}.",
               "Apologies for the delay, we'll transfer {amt} for {inv} {date}.",
               "Payment for {inv} is scheduled for {date}.", "We are going to settle {inv} {date}, sorry about that.",
               "Our AP team will process {inv} {date}.", "I can confirm that {inv} will be paid {date} ({amt}).",
               "We plan to pay {amt} {date} against {inv}."],
        "de": ["Wir werden {inv} {date} bezahlen.", "Danke für die Erinnerung. {inv} wird {date} überwiesen.",
               "Entschuldigung für die Verzögerung, wir überweisen {amt} für {inv} {date}.",
               "Die Zahlung für {inv} ist {date} eingeplant.", "Wir werden den Betrag von {amt} ({inv}) {date} begleichen.",
               "{inv} wird {date} beglichen.", "Die Zahlung erfolgt {date}, es geht um {inv}."],
        "fr": ["Nous paierons {inv} {date}.", "Merci pour le rappel. {inv} sera réglée {date}.",
               "Désolés pour le retard, nous allons virer {amt} pour {inv} {date}.",
               "Le paiement de {inv} est prévu {date}.", "Le virement de {amt} pour {inv} partira {date}.",
               "Nous réglerons {inv} {date}."],
        "es": ["Pagaremos {inv} {date}.", "Gracias por el recordatorio. {inv} se pagará {date}.",
               "Disculpen el retraso, vamos a transferir {amt} por {inv} {date}.",
               "El pago de {inv} está programado para {date}.", "Realizaremos la transferencia de {amt} ({inv}) {date}.",
               "Abonaremos {inv} {date}."],
    },
    "paid": {
        "en": ["We already paid {inv} on {pdate}, ref {ref}.", "{inv} was paid on {pdate} ({amt}). Please check your records.",
               "This has been settled: we transferred {amt} for {inv} on {pdate}.", "Payment was made on {pdate} for {inv}, reference {ref}.",
               "Please note {inv} has already been paid. Remittance advice attached."],
        "de": ["Wir haben {inv} bereits am {pdate} überwiesen, Referenz {ref}.", "{inv} wurde am {pdate} bezahlt ({amt}).",
               "Die Rechnung {inv} ist bereits beglichen, Zahlungsnachweis anbei.", "Wir haben {amt} für {inv} schon am {pdate} überwiesen."],
        "fr": ["Nous avons déjà payé {inv} le {pdate}, référence {ref}.", "{inv} a été réglée le {pdate} ({amt}).",
               "Le virement a été effectué le {pdate} pour {inv}.", "{inv} est déjà payée, vous trouverez la preuve de paiement ci-jointe."],
        "es": ["Ya hemos pagado {inv} el {pdate}, referencia {ref}.", "{inv} fue pagada el {pdate} ({amt}).",
               "Hemos transferido {amt} por {inv} el {pdate}.", "{inv} ya está pagada, adjuntamos el comprobante de pago."],
    },
    "invoice_copy": {
        "en": ["Could you please send us a copy of {inv}? We cannot find it in our system.", "Please resend {inv}, the attachment is missing.",
               "We have not received {inv}. Can you email a PDF copy?", "Can you send a copy of {inv} and a statement of account?"],
        "de": ["Können Sie uns bitte eine Kopie der {inv} senden? Wir finden sie nicht.", "Bitte senden Sie {inv} erneut zu, der Anhang fehlt.",
               "Wir haben die Rechnung {inv} nicht erhalten. Bitte nochmals schicken.", "Bitte schicken Sie uns eine Rechnungskopie von {inv}."],
        "fr": ["Pourriez-vous nous envoyer une copie de {inv} ? Nous ne la trouvons pas.", "Merci de renvoyer {inv}, la pièce jointe manque.",
               "Nous n'avons pas reçu la facture {inv}, pouvez-vous la renvoyer ?", "Pouvez-vous nous transmettre une copie des factures {inv} ?"],
        "es": ["¿Podrían enviarnos una copia de {inv}? No la encontramos.", "Por favor reenvíen {inv}, falta el adjunto.",
               "No hemos recibido la factura {inv}. ¿Pueden enviarla de nuevo?", "Necesitamos una copia de la factura {inv}."],
    },
    "out_of_office": {
        "en": ["I am out of the office until {until} with limited access to email. I will be back on {back}.",
               "Thank you for your email. I am currently on annual leave and will return on {back}.",
               "I'm away until {until}. For urgent matters please contact {other}."],
        "de": ["Ich bin bis {until} nicht im Büro und ab dem {back} wieder erreichbar.",
               "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich {until} im Urlaub. Ab {back} bin ich wieder im Büro.",
               "Ich bin bis {until} abwesend. In dringenden Fällen wenden Sie sich bitte an {other}."],
        "fr": ["Je suis absente du bureau jusqu'au {until}. Je serai de retour le {back}.",
               "Merci pour votre message. Je suis actuellement en congés et serai de retour le {back}.",
               "Je suis en déplacement jusqu'au {until}. Pour toute urgence, merci de contacter {other}."],
        "es": ["Estoy fuera de la oficina hasta el {until}. Estaré de regreso el {back}.",
               "Gracias por su mensaje. Estoy de vacaciones y volveré el {back}.",
               "Estoy ausente hasta el {until}. Para asuntos urgentes contacte con {other}."],
    },
    "payment_plan": {
        "en": ["We are having cash flow problems. Could we pay {inv} in 3 monthly installments of {amt}?",
               "Would it be possible to agree a payment plan for {inv}?", "Can we spread the payments for {inv} over the next months?",
               "We propose to pay {inv} in instalments of {amt} per month."],
        "de": ["Wir haben derzeit Liquiditätsengpässe. Wäre eine Ratenzahlung für {inv} möglich, z. B. {amt} monatlich?",
               "Können wir für {inv} einen Zahlungsplan vereinbaren?", "Wir möchten {inv} in drei Raten begleichen."],
        "fr": ["Nous rencontrons des difficultés de trésorerie. Pourrions-nous payer {inv} en plusieurs fois, {amt} par mois ?",
               "Serait-il possible de mettre en place un échéancier pour {inv} ?", "Nous proposons un paiement échelonné de {inv} en 3 mensualités."],
        "es": ["Tenemos problemas de liquidez. ¿Podríamos pagar {inv} a plazos, {amt} al mes?",
               "¿Sería posible acordar un plan de pagos para {inv}?", "Proponemos pagar {inv} en 3 cuotas mensuales."],
    },
    "wrong_contact": {
        "en": ["Mark no longer works here. Please send invoices to {other} instead.", "I am not responsible for accounts payable, please contact {other}.",
               "You have the wrong contact. Please update your records.", "Sarah has left the company; please write to {other}."],
        "de": ["Herr Maier ist nicht mehr bei uns tätig. Bitte wenden Sie sich an {other}.", "Ich bin dafür nicht zuständig, bitte schreiben Sie an {other}.",
               "Sie haben den falschen Ansprechpartner. Bitte aktualisieren Sie Ihre Daten."],
        "fr": ["Mme Martin ne fait plus partie de la société. Merci d'écrire à {other}.", "Je ne suis pas la bonne personne, veuillez contacter {other}.",
               "Vous n'avez pas le bon contact : je ne suis pas en charge de la comptabilité fournisseurs."],
        "es": ["Juan ya no trabaja en la empresa. Por favor escriba a {other}.", "No soy la persona responsable, por favor contacte {other}.",
               "Este no es el contacto correcto, actualicen sus datos por favor."],
    },
    "other": {
        "en": ["Thanks, I have forwarded your message to our finance team.", "Who am I speaking with? What is this about?",
               "Noted, thank you.", "Could you tell me your bank details for future reference?", "Please call me tomorrow afternoon to discuss."],
        "de": ["Danke, ich habe Ihre Nachricht an unsere Buchhaltung weitergeleitet.", "Worum geht es bitte genau?",
               "Zur Kenntnis genommen, danke.", "Können Sie mir Ihre Bankverbindung mitteilen?"],
        "fr": ["Merci, j'ai transmis votre message à notre service comptable.", "De quoi s'agit-il exactement ?",
               "Bien noté, merci.", "Pouvez-vous me communiquer vos coordonnées bancaires ?"],
        "es": ["Gracias, he reenviado su mensaje a nuestro departamento financiero.", "¿De qué se trata exactamente?",
               "Recibido, gracias.", "¿Podrían indicarme sus datos bancarios?"],
    },
}
# disputes by reason code (disputes.workflow.REASONS)
DISPUTES: dict[str, dict[str, list[str]]] = {
    "pricing": {"en": ["The price on {inv} is wrong, we agreed a lower unit price.", "We were overcharged on {inv}: the agreed price was 12.50 per unit."],
                "de": ["Der Preis auf {inv} ist falsch, vereinbart war ein niedrigerer Preis.", "Auf {inv} stimmt der Preis nicht mit dem Angebot überein, der Preis ist zu hoch."],
                "fr": ["Le prix sur {inv} est erroné, nous avions convenu d'un prix inférieur.", "Le prix de {inv} ne correspond pas au prix convenu."],
                "es": ["El precio de {inv} es incorrecto, acordamos un precio menor.", "El precio en {inv} no corresponde al precio acordado."]},
    "quality": {"en": ["The goods delivered with {inv} arrived damaged. We will not pay until this is resolved.", "Half of the parts on {inv} are defective."],
                "de": ["Die Ware zu {inv} kam beschädigt an. Wir zahlen erst nach Klärung.", "Die Teile aus {inv} sind mangelhaft, wir haben reklamiert."],
                "fr": ["La marchandise de {inv} est arrivée endommagée.", "Les pièces de {inv} sont défectueuses, nous contestons la facture."],
                "es": ["La mercancía de {inv} llegó dañada.", "Las piezas de {inv} son defectuosas, no estamos de acuerdo con la factura."]},
    "not_received": {"en": ["We never received the goods on {inv}.", "The delivery for {inv} has not been received yet, so we dispute it."],
                     "de": ["Die Lieferung zu {inv} haben wir nie erhalten.", "Die Ware aus {inv} ist bei uns nicht angekommen."],
                     "fr": ["La marchandise de {inv} n'a jamais été livrée.", "Nous n'avons pas reçu la livraison correspondant à {inv}, nous la contestons."],
                     "es": ["La mercancía de {inv} no ha llegado.", "Nunca recibimos el pedido de {inv}."]},
    "quantity": {"en": ["{inv} charges 100 units but we only received 80. Short shipment.", "There are missing items on {inv}, please correct the quantity."],
                 "de": ["Auf {inv} sind 100 Stück berechnet, geliefert wurden nur 80 — die Lieferung war unvollständig.", "Bei {inv} fehlende Teile, bitte Menge korrigieren."],
                 "fr": ["{inv} facture 100 pièces mais la livraison était incomplète.", "La quantité sur {inv} est fausse, il manque des articles."],
                 "es": ["{inv} factura 100 unidades pero la entrega fue incompleta.", "La cantidad de {inv} no es correcta, faltan piezas."]},
    "duplicate": {"en": ["{inv} is a duplicate, we were billed twice for the same order.", "You invoiced us twice: {inv} duplicates an earlier invoice."],
                  "de": ["{inv} wurde doppelt berechnet.", "Die Rechnung {inv} ist eine doppelte Rechnung zur selben Bestellung."],
                  "fr": ["{inv} a été facturée deux fois.", "{inv} est un doublon d'une facture déjà payée, nous la contestons."],
                  "es": ["{inv} está duplicada, nos han facturado dos veces.", "Nos cobraron dos veces: {inv} es un duplicado."]},
    "po": {"en": ["{inv} is missing our PO number, we cannot process it.", "Wrong PO number on {inv}, please reissue it with a purchase order."],
           "de": ["Auf {inv} fehlt unsere Bestellnummer, so können wir nicht buchen.", "{inv} ohne Bestellnummer wird nicht bearbeitet."],
           "fr": ["Le numéro de commande manque sur {inv}.", "{inv} sans bon de commande ne peut pas être traitée, nous la contestons."],
           "es": ["Falta el número de pedido en {inv}.", "{inv} sin orden de compra no se puede procesar, hay una discrepancia."]},
    "tax": {"en": ["The VAT on {inv} is incorrect, we are tax-exempt.", "{inv} charges sales tax which should not apply, please correct the error on the invoice."],
            "de": ["Die MwSt auf {inv} ist falsch, wir sind befreit.", "Die Umsatzsteuer auf {inv} ist nicht korrekt."],
            "fr": ["La TVA sur {inv} est incorrecte, nous en sommes exonérés.", "La TVA appliquée sur {inv} est erronée."],
            "es": ["El IVA de {inv} es incorrecto, estamos exentos.", "El IVA aplicado en {inv} es erróneo."]},
    "service": {"en": ["The installation billed on {inv} was never performed.", "{inv}: the service was not rendered, we dispute the charge."],
                "de": ["Die Montage aus {inv} wurde nicht durchgeführt.", "Die Leistung laut {inv} wurde nie erbracht, wir widersprechen."],
                "fr": ["La prestation facturée sur {inv} n'a jamais été réalisée.", "Nous contestons {inv} : la prestation n'a pas été effectuée."],
                "es": ["El servicio de {inv} no se ha prestado.", "La reparación facturada en {inv} no se ha realizado, presentamos una reclamación."]},
}

GREET = {"en": ["Hi,", "Hello Anna,", "Dear Sir or Madam,", "Good morning,", ""],
         "de": ["Hallo,", "Sehr geehrte Damen und Herren,", "Guten Tag Frau Schulz,", ""],
         "fr": ["Bonjour,", "Madame, Monsieur,", "Bonjour Anna,", ""],
         "es": ["Hola,", "Estimados señores:", "Buenos días,", ""]}
SIGN = {"en": ["Best regards", "Kind regards", "Thanks", "Regards,", "Cheers"],
        "de": ["Mit freundlichen Grüßen", "Viele Grüße", "Beste Grüße", "MfG"],
        "fr": ["Cordialement", "Bien cordialement", "Salutations distinguées", "Merci"],
        "es": ["Saludos", "Un saludo", "Atentamente", "Saludos cordiales"]}
SIGNATURE_BLOCK = ["{name}\nAccounts Payable | Acme Trading GmbH\nTel. +49 89 4521 7733 | Fax +49 89 4521 7734\n"
                   "Industriestr. 12, 80339 München\nHRB 204815 · USt-IdNr. DE 281 144 093",
                   "{name}\nFinance Dept.\nPhone: (312) 555-0142 ext. 2041\n1200 W Madison St, Chicago IL 60607",
                   "{name}\nComptabilité fournisseurs\nTél : 01 42 68 53 00\n12 rue de la Paix, 75002 Paris\nSIRET 552 100 554 00025",
                   "{name}\nDpto. de Cuentas a Pagar\nTel. +34 91 555 12 34\nCalle Mayor 45, 28013 Madrid\nCIF B-82846927"]
DISCLAIMER = {"en": "This email and any attachments are confidential and intended solely for the addressee.",
              "de": "Diese E-Mail enthält vertrauliche Informationen. Wenn Sie nicht der richtige Adressat sind, informieren Sie bitte den Absender.",
              "fr": "Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires.",
              "es": "Este mensaje y sus anexos son confidenciales y dirigidos exclusivamente a su destinatario."}
OURS = {"en": ("On {d}, Accounts Receivable <ar@ourco.example> wrote:", "Dear customer, invoice INV-1059 of 4,210.00 EUR and INV-1058 "
               "were due on {due}. Please pay within 7 days. Reference C000123-{ref}."),
        "de": ("Am {d} schrieb Forderungsmanagement <ar@ourco.example>:", "Sehr geehrter Kunde, die Rechnung INV-1059 über 4.210,00 EUR "
               "war am {due} fällig. Bitte zahlen Sie innerhalb von 7 Tagen. Referenz C000123-{ref}."),
        "fr": ("Le {d}, Service Recouvrement <ar@ourco.example> a écrit :", "Cher client, la facture INV-1059 de 4 210,00 EUR était "
               "due le {due}. Merci de régler sous 7 jours. Référence C000123-{ref}."),
        "es": ("El {d}, Cobros <ar@ourco.example> escribió:", "Estimado cliente, la factura INV-1059 de 4.210,00 EUR venció el {due}. "
               "Por favor pague en 7 días. Referencia C000123-{ref}.")}
OUTLOOK = {"en": "From: Accounts Receivable <ar@ourco.example>\nSent: {d}\nTo: ap@customer.example\nSubject: Payment reminder INV-1059",
           "de": "Von: Forderungsmanagement <ar@ourco.example>\nGesendet: {d}\nAn: ap@customer.example\nBetreff: Zahlungserinnerung INV-1059",
           "fr": "De : Service Recouvrement <ar@ourco.example>\nEnvoyé : {d}\nÀ : ap@customer.example\nObjet : Relance INV-1059",
           "es": "De: Cobros <ar@ourco.example>\nEnviado: {d}\nPara: ap@customer.example\nAsunto: Recordatorio INV-1059"}
SUBJECT = {"en": "Re: Payment reminder", "de": "AW: Zahlungserinnerung", "fr": "RE: Relance de paiement", "es": "RE: Recordatorio de pago"}
OOO_SUBJECT = {"en": "Automatic reply: Payment reminder", "de": "Abwesenheitsnotiz: Zahlungserinnerung",
               "fr": "Réponse automatique : Relance", "es": "Respuesta automática: Recordatorio"}
FWD_INTRO = {"en": "FYI, see below.", "de": "Zur Info, siehe unten.", "fr": "Pour info, voir ci-dessous.", "es": "Para su información, ver abajo."}
OTHER_ADDRESSES = ["payables@acme-trading.example", "ap.invoices@northwind.example", "comptabilite@lefevre.example",
                   "facturas@iberica.example", "m.weber@acme-trading.example"]
REASON_INVOICE_NOISE = ("pricing", "quality")


def _typo(rng: random.Random, text: str) -> str:
    words = [w for w in text.split(" ") if len(w) >= 6 and w.isalpha()]
    if not words:
        return text
    w = rng.choice(words)
    i = rng.randrange(1, len(w) - 2)
    return text.replace(w, w[:i] + w[i + 1] + w[i] + w[i + 2:], 1)


def _dmy(lang: str, d: dt.date, month_first: bool) -> str:
    if lang == "en":
        return f"{d.month:02d}/{d.day:02d}/{d.year}" if month_first else f"{d.day:02d}/{d.month:02d}/{d.year}"
    return f"{d.day:02d}.{d.month:02d}.{d.year}" if lang == "de" else f"{d.day:02d}/{d.month:02d}/{d.year}"


def _raw(*, subject: str, body: str, html: bool, sent: dt.datetime, sid: str, auto: bool, sender: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer AP <{sender}>"
    msg["To"] = "ar@ourco.example"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<{sid}@customer.example>"
    if auto:
        msg["Auto-Submitted"] = "auto-replied"
    if html:
        paragraphs = body.split("\n\n")
        own, quoted = [], []
        for p in paragraphs:
            (quoted if (quoted or p.startswith(">") or p.split("\n")[0].endswith((":", ": "))
                        and any(k in p.split("\n")[0] for k in ("wrote", "schrieb", "écrit", "escribió"))) else own).append(p)
        html_own = "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in own)
        html_q = "".join(f"<blockquote type=\"cite\">{p.replace(chr(10), '<br>')}</blockquote>" for p in quoted)
        msg.set_content(f"<html><head><style>p {{margin:0}}</style></head><body>{html_own}{html_q}</body></html>",
                        subtype="html")
    else:
        msg.set_content(body)
    return msg.as_bytes()


def _day_words(lang: str, d: dt.date) -> str:
    if lang == "de":
        return f"{d.day}. {MONTHS['de'][d.month - 1]}"
    if lang == "es":
        return f"{d.day} de {MONTHS['es'][d.month - 1]}"
    return f"{d.day} {MONTHS[lang][d.month - 1]}"


def _join(lang: str, parts: list[str]) -> str:
    return f" {dict(en='and', de='und', fr='et', es='y')[lang]} ".join(parts)


def _one(rng: random.Random, sid: str, lang: str, intent: str, reason: str | None, split: str = "dev",
         template: str | None = None) -> Sample:
    L = "en" if lang == "en_us" else lang
    month_first = lang == "en_us"
    as_of = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randrange(340))
    sent = dt.datetime.combine(as_of, dt.time(rng.randrange(7, 17), rng.randrange(60)), tzinfo=dt.timezone.utc)
    s = Sample(sid=sid, language=L, month_first=month_first, intent=intent, raw=b"", as_of=as_of)
    noise: list[str] = []
    invs = rng.sample(KNOWN_INVOICES[:57] + KNOWN_INVOICES[60:], 2 if rng.random() < 0.3 else 1)
    slots: dict[str, str] = {"inv": _join(L, [invoice_written(rng, L, i) for i in invs])}
    amount = Decimal(rng.randrange(10000, 900000)) / 100
    slots["amt"] = money(rng, lang, amount)
    slots["ref"] = f"TRF-{rng.randrange(100000, 999999)}"
    paid_on = as_of - dt.timedelta(days=rng.randrange(1, 20))
    slots["pdate"] = _dmy(L, paid_on, month_first) if rng.random() < 0.7 else _day_words(L, paid_on)
    other = rng.choice(OTHER_ADDRESSES)
    slots["other"] = other
    until = as_of + dt.timedelta(days=rng.randrange(3, 20))
    back = until + dt.timedelta(days=1 if until.weekday() < 4 else 7 - until.weekday())
    slots["until"] = _day_words(L, until) if rng.random() < 0.6 else _dmy(L, until, month_first)
    slots["back"] = _day_words(L, back) if rng.random() < 0.6 else _dmy(L, back, month_first)
    phrase, promised = date_phrase(rng, lang, as_of, month_first)
    slots["date"] = phrase
    if template is not None:
        pass
    elif split == "blind":
        template = rng.choice(BLIND_DISPUTES[reason][L] if intent == "dispute" and reason else BLIND[intent][L])
    elif split == "heldout":
        template = rng.choice(HELDOUT_DISPUTES[reason][L] if intent == "dispute" and reason else HELDOUT[intent][L])
    else:
        template = rng.choice(DISPUTES[reason][L] if intent == "dispute" and reason else T[intent][L])
    core = template.format(**slots)
    core = core[0].upper() + core[1:]
    if "{inv}" in template:
        s.invoices = tuple(sorted(invs))
    if "{amt}" in template and intent in ("promise_to_pay", "paid", "payment_plan"):
        s.amount = amount
    if intent == "promise_to_pay":
        s.promise_date = promised
    if intent == "dispute":
        s.reason = reason
    if intent == "out_of_office":
        s.return_date = back if "{back}" in template else until
    if "{other}" in template:
        s.new_contact = other
    if rng.random() < 0.15:
        core, _ = _typo(rng, core), noise.append("typo")
    ooo = intent == "out_of_office"
    parts = []
    if not ooo and rng.random() < 0.7:
        parts.append(rng.choice(GREET[L]))
    parts.append(core)
    if rng.random() < 0.8:
        name = rng.choice(["Anna Schulz", "Mark Jones", "Claire Dubois", "Lucía García"])
        block = rng.choice(SIGNATURE_BLOCK).format(name=name)
        parts.append(f"{rng.choice(SIGN[L])}\n{block}" if rng.random() < 0.85 else f"--\n{block}")
        noise.append("signature")
    if rng.random() < 0.25:
        parts.append(DISCLAIMER[L])
        noise.append("disclaimer")
    subject = OOO_SUBJECT[L] if ooo and rng.random() < 0.7 else SUBJECT[L]
    if not ooo and rng.random() < 0.3:
        subject += f" C000123-{(as_of - dt.timedelta(days=7)):%Y%m%d}"
    forwarded_only = False
    if not ooo and rng.random() < 0.55:
        sent_ours = (as_of - dt.timedelta(days=7))
        due = _dmy(L, as_of - dt.timedelta(days=30), month_first)
        if rng.random() < 0.6:
            head, text = OURS[L]
            quoted = head.format(d=_day_words(L, sent_ours)) + "\n" + "\n".join(
                "> " + line for line in text.format(due=due, ref=f"{sent_ours:%Y%m%d}").split(". "))
            noise.append("quoted")
        elif rng.random() < 0.6:
            quoted = OUTLOOK[L].format(d=_dmy(L, sent_ours, month_first)) + "\n\n" + OURS[L][1].format(
                due=due, ref=f"{sent_ours:%Y%m%d}")
            noise.append("outlook_quote")
        else:
            quoted = "---------- Forwarded message ---------\n" + OUTLOOK[L].format(d=_dmy(L, sent_ours, month_first)) + \
                "\n\n" + OURS[L][1].format(due=due, ref=f"{sent_ours:%Y%m%d}")
            subject = "Fwd: " + subject.split(": ", 1)[-1]
            noise.append("forward")
        parts.append(quoted)
    elif not ooo and rng.random() < 0.08:
        forwarded_only = True
        noise.append("forwarded_only")
    body = "\n\n".join(p for p in parts if p)
    if forwarded_only:
        body = ("---------- Forwarded message ---------\nFrom: Anna Schulz <anna@customer.example>\n"
                f"Subject: {SUBJECT[L]}\n\n" + body)
        subject = "Fwd: " + SUBJECT[L].split(": ", 1)[-1]
    html = rng.random() < 0.2
    if html:
        noise.append("html")
    s.raw = _raw(subject=subject, body=body, html=html, sent=sent, sid=sid, auto=ooo and rng.random() < 0.6,
                 sender="ap@customer.example")
    s.noise = tuple(noise)
    return s


def build(*, seed: int = 18, per_cell: int = 13) -> list[Sample]:
    """The corpus: ``per_cell`` replies per intent and language (en, de, fr, es) plus US-English ones, disputes
    spread over the reason codes. Same seed, same corpus."""
    rng = random.Random(seed)
    out: list[Sample] = []
    reasons = list(DISPUTES)
    for lang in ("en", "de", "fr", "es", "en_us"):
        for intent in INTENTS:
            n = per_cell if lang != "en_us" else (6 if intent in ("promise_to_pay", "paid") else 2)
            for k in range(n):
                reason = reasons[(k + len(out)) % len(reasons)] if intent == "dispute" else None
                out.append(_one(rng, f"{lang}-{intent}-{k:02d}", lang, intent, reason))
    return out


# ---- the held-out split: phrasings written apart from the ones the lexicon was tuned on (never tuned against)
HELDOUT: dict[str, dict[str, list[str]]] = {
    "promise_to_pay": {
        "en": ["Funds for {inv} should go out {date}.", "You will receive the money for {inv} {date}, promise.",
               "{inv} is approved and will be released for payment {date}."],
        "de": ["Das Geld für {inv} geht {date} raus.", "{inv} ist freigegeben und wird {date} angewiesen.",
               "Sie erhalten die Zahlung zu {inv} {date}."],
        "fr": ["Vous recevrez le paiement de {inv} {date}.", "{inv} est validée et sera mise en paiement {date}.",
               "Les fonds pour {inv} partiront {date}."],
        "es": ["Recibirán el pago de {inv} {date}.", "{inv} está aprobada y se pagará {date}.",
               "Los fondos de {inv} saldrán {date}."],
    },
    "paid": {
        "en": ["Our bank sent {amt} for {inv} on {pdate}. Can you check?", "{inv} was cleared on our side on {pdate}."],
        "de": ["Unsere Bank hat {amt} für {inv} am {pdate} ausgeführt, die Überweisung ist raus.", "{inv} haben wir am {pdate} ausgeglichen."],
        "fr": ["Notre banque a effectué le virement de {amt} pour {inv} le {pdate}.", "{inv} a déjà été soldée le {pdate}."],
        "es": ["Nuestro banco realizó la transferencia de {amt} por {inv} el {pdate}.", "{inv} ya se pagó el {pdate}."],
    },
    "invoice_copy": {
        "en": ["We can't locate {inv} in our portal, could you send it again?", "Please email us the PDF of {inv}, our copy is unreadable."],
        "de": ["Wir können {inv} nicht finden, bitte senden Sie uns ein Duplikat.", "Könnten Sie uns {inv} als PDF noch einmal zukommen lassen?"],
        "fr": ["Nous ne retrouvons pas {inv}, merci de nous transmettre un duplicata.", "Pourriez-vous renvoyer {inv} en PDF ?"],
        "es": ["No localizamos {inv}, ¿pueden enviarnos un duplicado?", "¿Podrían volver a enviar {inv} en PDF?"],
    },
    "out_of_office": {
        "en": ["Thanks for your message. I'm on parental leave until {until}; I will respond when I'm back on {back}."],
        "de": ["Danke für Ihre E-Mail. Ich bin bis {until} nicht erreichbar und ab {back} wieder im Büro."],
        "fr": ["Merci pour votre courriel. Je suis absent jusqu'au {until} et de retour le {back}."],
        "es": ["Gracias por su correo. Estaré ausente hasta el {until}; de vuelta el {back}."],
    },
    "payment_plan": {
        "en": ["Given our financial difficulties, can we agree a repayment plan for {inv}?", "Could we settle {inv} in monthly payments of {amt}?"],
        "de": ["Wegen finanzieller Schwierigkeiten bitten wir um Stundung und Ratenzahlung für {inv}.", "Wäre ein Tilgungsplan für {inv} mit monatlichen Raten von {amt} möglich?"],
        "fr": ["Pourrions-nous étaler les paiements de {inv} sur trois mois ?", "Nous souhaitons régler {inv} par mensualités de {amt}."],
        "es": ["¿Podemos fraccionar el pago de {inv} en tres meses?", "Proponemos un calendario de pagos para {inv} con pagos mensuales de {amt}."],
    },
    "wrong_contact": {
        "en": ["I'm not in charge of invoices any more — please redirect this to {other}.", "This address is wrong, the person is no longer with us."],
        "de": ["Frau Schulz hat das Unternehmen verlassen. Zuständig ist jetzt {other}.", "Falscher Empfänger — bitte an {other} schreiben."],
        "fr": ["M. Durand a quitté la société, merci de vous adresser à {other}.", "Mauvais destinataire : je ne suis pas responsable de la comptabilité."],
        "es": ["La Sra. López dejó la empresa, por favor diríjase a {other}.", "Dirección equivocada, ya no estoy en ese departamento. Contacto: {other}."],
    },
    "other": {
        "en": ["Please add our new PO number to future invoices.", "Is there a discount for early payment?"],
        "de": ["Gibt es Skonto bei früher Zahlung?", "Bitte nehmen Sie uns in Ihren Newsletter auf."],
        "fr": ["Proposez-vous un escompte pour paiement anticipé ?", "Merci de nous appeler pour en discuter."],
        "es": ["¿Ofrecen descuento por pronto pago?", "Llámenme por favor para hablarlo."],
    },
}
HELDOUT_DISPUTES: dict[str, dict[str, list[str]]] = {
    "pricing": {"en": ["{inv} doesn't match our quote, the rate is too high."], "de": ["{inv} entspricht nicht dem Angebot, der Preis ist zu hoch."],
                "fr": ["{inv} ne correspond pas au devis, le prix est trop élevé."], "es": ["{inv} no coincide con la oferta, el precio es más alto."]},
    "quality": {"en": ["The items on {inv} are broken, we are returning them."], "de": ["Die Ware aus {inv} ist defekt, wir senden sie zurück."],
                "fr": ["Les articles de {inv} sont cassés, nous les retournons."], "es": ["Los artículos de {inv} están rotos, los devolvemos."]},
    "not_received": {"en": ["Nothing has arrived yet for {inv}: the shipment was never delivered."], "de": ["Zu {inv} ist bis heute keine Lieferung eingetroffen, die Ware wurde nicht geliefert."],
                     "fr": ["Rien n'est arrivé pour {inv}, la commande n'a pas été livrée."], "es": ["No ha llegado nada de {inv}, el envío no ha sido entregado."]},
    "duplicate": {"en": ["{inv} was charged twice."], "de": ["{inv} ist doppelt fakturiert."], "fr": ["{inv} est en double."], "es": ["{inv} se cobró dos veces."]},
    "tax": {"en": ["{inv} should not include VAT, we are exempt."], "de": ["Auf {inv} ist die Mehrwertsteuer nicht korrekt, wir sind befreit."],
            "fr": ["{inv} : la TVA n'est pas applicable, nous sommes exonérés."], "es": ["{inv}: el IVA no aplica, estamos exentos."]},
}


def build_heldout(*, seed: int = 1818, per_cell: int = 4) -> list[Sample]:
    """The held-out split: other phrasings, other seed; the lexicon was not tuned on it."""
    rng = random.Random(seed)
    out: list[Sample] = []
    reasons = list(HELDOUT_DISPUTES)
    for lang in ("en", "de", "fr", "es"):
        for intent in INTENTS:
            for k in range(per_cell):
                reason = reasons[(k + len(out)) % len(reasons)] if intent == "dispute" else None
                out.append(_one(rng, f"held-{lang}-{intent}-{k:02d}", lang, intent, reason, split="heldout"))
    return out


# ---- the blind split: written last, evaluated once, the lexicon never changed for it (docs/assistant.md's figure)
BLIND: dict[str, dict[str, list[str]]] = {
    "promise_to_pay": {
        "en": ["Hi, just confirming {inv} goes into our next payment batch, {date}.", "Sorry! {inv} slipped through, we'll get it paid {date}."],
        "de": ["Kurze Info: {inv} ist für den nächsten Zahlungslauf vorgemerkt, {date}.", "Sorry, {inv} ist untergegangen, wir zahlen {date}."],
        "fr": ["Petit message pour confirmer que {inv} sera payée {date}.", "Toutes nos excuses, nous procéderons au règlement de {inv} {date}."],
        "es": ["Les confirmo que {inv} entra en la próxima remesa de pagos, {date}.", "Perdón por el olvido, pagaremos {inv} {date}."],
    },
    "paid": {
        "en": ["We sent the funds for {inv} last week ({pdate}), ref {ref}.", "Hi, {inv} shows as paid in our ERP since {pdate}."],
        "de": ["{inv} ist bei uns seit {pdate} als bezahlt verbucht.", "Das Geld für {inv} ist am {pdate} rausgegangen, Ref. {ref}."],
        "fr": ["{inv} apparaît comme payée chez nous depuis le {pdate}.", "Les fonds pour {inv} sont partis le {pdate}, réf. {ref}."],
        "es": ["{inv} figura como pagada en nuestro sistema desde el {pdate}.", "Enviamos los fondos de {inv} el {pdate}, ref. {ref}."],
    },
    "invoice_copy": {
        "en": ["I don't have {inv} on file, can you forward it to me?"], "de": ["Mir liegt {inv} nicht vor, können Sie sie mir weiterleiten?"],
        "fr": ["Je n'ai pas {inv} dans mes dossiers, pouvez-vous me la faire suivre ?"], "es": ["No tengo {inv} en mis archivos, ¿me la pueden reenviar?"],
    },
    "out_of_office": {
        "en": ["Auto-reply: I'm travelling until {until} and will answer after I return on {back}."],
        "de": ["Automatische Antwort: Ich bin auf Dienstreise bis {until}, zurück am {back}."],
        "fr": ["Réponse automatique : en déplacement jusqu'au {until}, de retour le {back}."],
        "es": ["Respuesta automática: estoy de viaje hasta el {until}, vuelvo el {back}."],
    },
    "payment_plan": {
        "en": ["Money is tight this quarter. Can we split {inv} into smaller monthly amounts?"], "de": ["Können wir {inv} in mehreren Teilbeträgen zahlen?"],
        "fr": ["Est-il possible de régler {inv} en plusieurs versements ?"], "es": ["¿Es posible pagar {inv} en varios plazos?"],
    },
    "wrong_contact": {
        "en": ["I think you've got the wrong person — I'm in sales. Try {other}."], "de": ["Da sind Sie bei mir falsch, ich bin im Vertrieb. Bitte an {other}."],
        "fr": ["Je pense que vous vous êtes trompé de contact, je suis au service commercial. Écrivez à {other}."],
        "es": ["Creo que se han equivocado de persona, yo soy de ventas. Escriban a {other}."],
    },
    "other": {
        "en": ["Happy holidays to the whole team!"], "de": ["Frohe Feiertage an das ganze Team!"],
        "fr": ["Joyeuses fêtes à toute l'équipe !"], "es": ["¡Felices fiestas a todo el equipo!"],
    },
}
BLIND_DISPUTES: dict[str, dict[str, list[str]]] = {
    "pricing": {"en": ["We won't pay {inv} at that price, it's not what we agreed."], "de": ["{inv} zahlen wir zu diesem Preis nicht, das war nicht vereinbart."],
                "fr": ["Nous ne réglerons pas {inv} à ce prix, ce n'est pas ce qui était convenu."], "es": ["No pagaremos {inv} a ese precio, no es lo acordado."]},
    "quality": {"en": ["The product on {inv} does not work, we have a quality complaint."], "de": ["Das Produkt aus {inv} funktioniert nicht, Qualitätsmangel."],
                "fr": ["Le produit de {inv} ne fonctionne pas, problème de qualité."], "es": ["El producto de {inv} no funciona, problema de calidad."]},
    "not_received": {"en": ["We are still waiting for the goods on {inv}, they never arrived."], "de": ["Wir warten noch auf die Ware zu {inv}, sie ist nie angekommen."],
                     "fr": ["Nous attendons toujours la marchandise de {inv}, elle n'est jamais arrivée."], "es": ["Seguimos esperando la mercancía de {inv}, nunca llegó."]},
}


def build_blind(*, seed: int = 4242, per_cell: int = 3) -> list[Sample]:
    """The blind split (see BLIND)."""
    rng = random.Random(seed)
    out: list[Sample] = []
    reasons = list(BLIND_DISPUTES)
    for lang in ("en", "de", "fr", "es"):
        for intent in INTENTS:
            for k in range(per_cell):
                reason = reasons[(k + len(out)) % len(reasons)] if intent == "dispute" else None
                out.append(_one(rng, f"blind-{lang}-{intent}-{k:02d}", lang, intent, reason, split="blind"))
    return out
