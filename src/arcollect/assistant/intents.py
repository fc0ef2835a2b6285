"""What a customer's reply is about (pure, offline, deterministic): a weighted lexicon of phrases in English,
German, French and Spanish per intent of CONTRACT §11; the scores give the intent, a confidence and the phrases
it came from (the evidence a person sees before approving anything)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

INTENTS = ("promise_to_pay", "dispute", "paid", "invoice_copy", "out_of_office", "payment_plan", "wrong_contact",
           "other")

_FUT_PAY = (r"(?:pay|settle|transfer|wire|remit|clear|process|release|send|make)")
_LEXICON: dict[str, list[tuple[str, float]]] = {
    "promise_to_pay": [
        (r"\b(?:funds|money|payment|transfer)\b.{0,40}\b(?:will|should|shall) (?:go out|be sent|leave|reach you|arrive)|\byou(?:'ll| will| should) (?:receive|get|see) (?:the |our |your )?(?:money|funds|payment|transfer)|\breleased? for payment\b|\bapproved for payment\b", 2.0), (r"\bgeht\b.{0,40}\braus\b|\bfreigegeben\b|\bsie erhalten (?:die|unsere) (?:zahlung|überweisung)|\bwird (?:\S+\s+){0,6}(?:angewiesen|freigegeben|ausgezahlt)", 2.0), (r"\bvous recevrez (?:le|notre) (?:paiement|virement|règlement)|\bpartiront\b|\bsera mise en paiement|\best validée\b", 2.0), (r"\brecibirán (?:el|nuestro) (?:pago|transferencia|abono)|\bsaldrán\b|\bse pagará\b|\bestá aprobada\b", 2.0),
        (r"\bwill (?:\w+\s+)?(?:pay|settle|transfer|process|release|wire|remit)\b", 2.0), (r"\bpayment\b.{0,80}\bscheduled\b", 2.0), (r"\bzahlung\b.{0,80}\b(?:eingeplant|geplant|vorgesehen|terminiert)", 2.0), (r"\b(?:paiement|virement|règlement)\b.{0,80}\b(?:prévu|programmé|partira)", 2.0), (r"\b(?:pago|transferencia)\b.{0,80}\b(?:programad|previst)", 2.0),
        (rf"\b(?:we|i)(?:'ll| will| shall| are going to|'re going to| can| plan to| intend to| expect to)\s+(?:\w+\s+){{0,2}}{_FUT_PAY}\b", 2.0),
        (rf"\bwill be (?:paid|settled|transferred|wired|remitted|processed|released|cleared|scheduled)\b", 2.0),
        (r"\bpayment (?:will|should) (?:be|go|reach|arrive|follow)", 2.0),
        (r"\b(?:is|are|has been|have been) scheduled (?:for|on)\b", 1.5), (r"\bscheduled (?:for )?payment\b", 1.5),
        (r"\bpayment run\b", 1.5), (r"\bpay(?:ment)? (?:it |this |them )?(?:by|on|before|next|within|at the end)\b", 1.5),
        (r"\bexpect (?:the )?payment\b", 1.5), (r"\b(?:by|before) (?:the )?end of (?:the |this |next )?month\b", 1.0),
        (r"\bwerden (?:\S+\s+){0,10}(?:bezahlen|begleichen|überweisen|zahlen|anweisen|ausgleichen)\b", 2.0),
        (r"\b(?:wird|werden) (?:\S+\s+){0,6}(?:bezahlt|beglichen|überwiesen|angewiesen|ausgeglichen)(?: werden)?\b", 2.0),
        (r"\b(?:überweisen|zahlen|begleichen|bezahlen) (?:wir|ich)\b", 2.0), (r"\bzahlungslauf\b", 1.5),
        (r"\bzahlung erfolgt\b", 2.0), (r"\bzahlung (?:ist |wird )?(?:für|am) .{0,20}(?:geplant|vorgesehen|eingeplant)", 2.0),
        (r"\b(?:geplant|vorgesehen|eingeplant)\b", 0.8), (r"\bsagen (?:ihnen )?(?:die )?zahlung\b.{0,30}\bzu\b", 1.5),
        (r"\b(?:nous )?(?:allons|pourrons|comptons|prévoyons de) (?:\w+\s+){0,3}(?:payer|régler|virer|procéder)", 2.0),
        (r"\b(?:paierons|réglerons|virerons|effectuerons|procéderons)\b", 2.0),
        (r"\bsera (?:payée?|réglée?|viré|virée|effectué|effectuée|émis|mis en paiement)\b", 2.0),
        (r"\bserons (?:en mesure|à même) de (?:payer|régler)\b", 2.0), (r"\b(?:le )?virement (?:sera|partira|est prévu|est programmé)\b", 2.0),
        (r"\bmise en paiement\b", 1.5), (r"\b(?:paiement|règlement) (?:est )?prévu\b", 2.0), (r"\bprogramm[ée]\b", 0.8),
        (r"\b(?:pagaremos|abonaremos|realizaremos|transferiremos|haremos|liquidaremos|efectuaremos)\b", 2.0),
        (r"\b(?:vamos a|podremos|pensamos|esperamos) (?:\w+\s+){0,2}(?:pagar|abonar|transferir|liquidar|realizar)", 2.0),
        (r"\bse (?:pagará|abonará|realizará|transferirá|efectuará|liquidará)\b", 2.0),
        (r"\b(?:pago|transferencia) (?:está |esta )?(?:programad[oa]|previst[oa])\b", 2.0), (r"\bprogramad[oa]\b", 0.8),
    ],
    "paid": [
        (r"\b(?:bank|banque|banco|bank hat)\b.{0,30}\b(?:sent|executed|released|ausgeführt|effectué|effectue|realizó|ejecutó|envió)\b|\bwas cleared\b|\bcleared on our side\b|\büberweisung ist raus\b|\bsoldée?s?\b|\bya se pagó\b", 2.5), (r"\b(?:haben|hatten) (?:\S+\s+){0,5}(?:bezahlt|überwiesen|beglichen|ausgeglichen|angewiesen)\b", 2.5), (r"\b(?:a|avons|ont) effectué le (?:virement|paiement|règlement)\b|\brealiz(?:ó|amos|aron) (?:la|el) (?:transferencia|pago)\b", 2.5),
        (r"\b(?:already|was|were|has been|have been|had been|got) (?:been )?(?:paid|settled|transferred|wired|remitted|cleared)\b", 2.5),
        (r"\b(?:we|i) (?:have |already |actually )*(?:paid|settled|transferred|wired|remitted|sent (?:the |you )?(?:payment|money|funds))\b", 2.5),
        (r"\bpayment (?:was|has been|went out|was made|was sent|was executed|is on its way)\b", 2.5),
        (r"\bproof of payment\b|\bremittance advice\b|\bpayment confirmation\b|\bswift (?:copy|confirmation)\b", 2.0),
        (r"\b(?:transaction|payment) ref(?:erence)?\b", 1.0), (r"\bpaid (?:it |this |them )?on\b", 2.0),
        (r"\b(?:bereits|schon|gestern|heute|am \S+) (?:\w+\s+){0,3}(?:bezahlt|überwiesen|beglichen|ausgeglichen|angewiesen)\b", 2.5),
        (r"\b(?:haben|hatten|wurde|wurden|ist|sind) (?:\w+\s+){0,4}(?:bezahlt|überwiesen|beglichen|ausgeglichen)(?! werden)\b", 2.0),
        (r"\bzahlungsbestätigung\b|\bzahlungsnachweis\b|\büberweisungsbeleg\b", 2.0),
        (r"\b(?:déjà|bien) (?:été )?(?:payée?s?|réglée?s?|virée?s?)\b", 2.5), (r"\ba été (?:payée?|réglée?|virée?|effectuée?)\b", 2.5),
        (r"\b(?:ont|avons) (?:été )?(?:payé|réglé|viré|effectué le virement)\b", 2.5), (r"\bvirement (?:a été |est )?effectué\b", 2.5),
        (r"\bpreuve de (?:paiement|virement)\b|\bavis de virement\b|\bjustificatif\b", 2.0),
        (r"\b(?:ya )?(?:hemos|habíamos|he) (?:\w+\s+){0,2}(?:pagado|abonado|transferido|liquidado|realizado (?:el|la) (?:pago|transferencia))\b", 2.5),
        (r"\b(?:fue|fueron|ha sido|han sido|está|están) (?:\w+\s+)?(?:pagad[oa]s?|abonad[oa]s?|liquidad[oa]s?|transferid[oa]s?)\b", 2.5),
        (r"\bcomprobante (?:de (?:pago|transferencia))?\b|\bjustificante\b", 2.0), (r"\bya (?:se )?pag[óo]\b", 2.5),
    ],
    "dispute": [
        (r"\bfehlt (?:\w+ )?(?:bestellnummer|po-nummer|bestell-nr)|\bfalta (?:el )?(?:número de pedido|orden de compra)|\bmissing (?:our |the |a )?(?:po|purchase order)\b|\bmanque (?:le |notre )?(?:numéro de commande|bon de commande)", 3.0),
        (r"\bincomplète|\bincompleta|\bunvollständig|\bincomplete\b", 2.5), (r"\b(?:not|never|nicht|nie|pas|jamais|no|nunca)\b.{0,25}\b(?:performed|rendered|erbracht|durchgeführt|réalisée|effectuée|prestado|realizado)\b", 3.0),
        (r"\bprice\b.{0,30}\b(?:wrong|incorrect|too high|higher than)|\b(?:wrong|incorrect|higher|different) (?:unit )?price|\bprice (?:is|was) (?:wrong|incorrect|too high|not)|\bovercharg", 3.0),
        (r"\b(?:agreed|quoted|contract(?:ed)?) (?:price|rate)\b", 2.0),
        (r"\bdamaged\b|\bbroken\b|\bdefective\b|\bfaulty\b|\bpoor quality\b|\bquality (?:issue|problem)", 3.0),
        (r"\b(?:goods|delivery|shipment|order|parts|items|products|material|package|pallets?) (?:\w+ )?(?:(?:was|were|has|have) )?(?:never|not|n't) (?:been )?(?:received|delivered|arrived)", 3.0),
        (r"\bnever (?:received|got|arrived)\b(?! (?:the|your|an|any) invoice)", 2.0), (r"\bshort[- ]?(?:shipped|shipment|delivery)\b|\bmissing (?:items|parts|units|pieces)\b", 3.0),
        (r"\b(?:only|just) (?:received|got) \d+\b|\bquantity\b", 2.0), (r"\bduplicate\b|\bbilled twice\b|\binvoiced twice\b|\bcharged twice\b|\bdouble[- ]billed\b", 3.0),
        (r"\b(?:missing|wrong|no|without a|incorrect) (?:po|purchase order)(?: number)?\b|\bpo (?:number )?(?:is )?missing\b", 3.0),
        (r"\b(?:vat|tax|sales tax)\b.{0,30}\b(?:wrong|incorrect|should not|exempt|not applicable)|\btax[- ]exempt\b", 3.0),
        (r"\b(?:service|work|installation|repair)s? (?:was |were )?(?:never|not) (?:been )?(?:performed|done|rendered|completed|provided)\b", 3.0),
        (r"\bdispute\b|\bdisputing\b|\bcontest\b|\bwe (?:do not|don't) agree\b|\bwill not pay\b|\brefuse to pay\b|\bcomplain", 2.5),
        (r"\b(?:error|mistake) (?:on|in) (?:the |your |this )?invoice|\binvoice is (?:wrong|incorrect)\b|\bbilling error\b", 3.0),
        (r"\bcontract(?:ual)? terms\b|\bnot (?:per|according to|in line with) (?:the |our )?(?:contract|agreement)\b", 3.0),
        (r"\bpreis\b.{0,30}\b(?:falsch|zu hoch|nicht korrekt|stimmt nicht)|\bfalsche[rn]? preis|\bpreis (?:ist |war )?(?:falsch|zu hoch|nicht korrekt)|\bvereinbarte[rn]? preis|\bpreisdifferenz", 3.0),
        (r"\bbeschädigt|\bdefekt|\bmangelhaft|\bmängel|\bqualitätsmangel|\breklamation", 3.0),
        (r"\b(?:ware|lieferung|sendung|bestellung|teile|artikel)\b.{0,30}\bnicht (?:erhalten|geliefert|angekommen|eingetroffen)|\bnie (?:erhalten|angekommen)", 3.0),
        (r"\b(?:zu wenig|unvollständig|fehlmenge)\b|\bfehlende (?:teile|artikel|positionen)|\bmenge\b", 2.5), (r"\bdoppelt (?:berechnet|fakturiert|abgerechnet|gestellt)|\bdoppelte rechnung", 3.0),
        (r"\b(?:bestellnummer|po-nummer|bestell-nr)\b.{0,20}\b(?:fehlt|falsch)|\bohne bestellnummer", 3.0), (r"\b(?:mwst|mehrwertsteuer|ust|umsatzsteuer)\b.{0,30}\b(?:falsch|nicht korrekt|befreit)", 3.0),
        (r"\b(?:leistung|arbeiten|montage|reparatur)\b.{0,30}\bnicht (?:erbracht|durchgeführt|erfolgt)", 3.0), (r"\bwiderspr|\bbeanstand|\bnicht einverstanden|\bstreitig", 2.5),
        (r"\brechnung (?:ist |enthält )?(?:falsch|fehlerhaft|einen fehler|nicht korrekt)|\bfehler in der rechnung", 3.0),
        (r"\bprix\b.{0,30}\b(?:erroné|incorrect|faux|trop élevé|ne correspond)|\bprix (?:est |n'est pas |erroné|incorrect|faux|trop élevé)|\bmauvais prix|\bprix convenu|\bécart de prix", 3.0),
        (r"\bendommag|\babîm|\bdéfectueu|\bcass[ée]s?\b|\bproblème de qualité|\bnon conforme", 3.0),
        (r"\b(?:marchandise|livraison|commande|colis|pièces|articles)\b.{0,30}\b(?:pas|jamais) (?:été )?(?:reçue?s?|livrée?s?|arrivée?s?)", 3.0),
        (r"\bquantité\b|\blivraison (?:incomplète|partielle)|\bmanque (?:des|de) ", 2.5), (r"\ben double\b|\bfactur[ée]e? deux fois|\bdoublon", 3.0),
        (r"\b(?:numéro de commande|bon de commande)\b.{0,20}\b(?:manque|manquant|absent|erroné)|\bsans (?:numéro de|bon de) commande", 3.0),
        (r"\btva\b.{0,30}\b(?:erronée|incorrecte|pas applicable|exonér)", 3.0), (r"\bprestation\b.{0,30}\b(?:pas|jamais) (?:été )?(?:réalisée|effectuée|rendue)", 3.0),
        (r"\bcontest|\blitige|\bréclamation|\bpas d'accord|\bne (?:la |les )?paierons pas", 2.5), (r"\berreur (?:sur|dans) (?:la|votre) facture|\bfacture (?:est )?erronée", 3.0),
        (r"\bprecio\b.{0,30}\b(?:incorrecto|erróneo|equivocado|más alto|no corresponde)|\bprecio (?:es |está )?(?:incorrecto|erróneo|equivocado|mal|más alto)|\bprecio acordado|\bdiferencia de precio", 3.0),
        (r"\bdañad|\bdefectuos|\brot[oa]s?\b|\bmala calidad|\bproblema de calidad|\bestropead", 3.0),
        (r"\b(?:mercancía|pedido|envío|entrega|material|piezas|artículos)\b.{0,30}\bno (?:ha |han )?(?:llegado|sido entregad|recibid)|\bnunca (?:llegó|recibimos)", 3.0),
        (r"\bcantidad\b|\bentrega (?:incompleta|parcial)|\bfaltan (?:piezas|unidades|artículos)", 2.5), (r"\b(?:está|es|son|factura) duplicad[ao]|\bduplicada\b|\bfacturad[oa] dos veces|\bcobrad[oa] dos veces|\bse cobró dos veces", 3.0),
        (r"\b(?:número de pedido|orden de compra)\b.{0,20}\b(?:falta|incorrecto|erróneo)|\bsin (?:número de pedido|orden de compra)", 3.0),
        (r"\biva\b.{0,30}\b(?:incorrecto|erróneo|exento|no aplica)", 3.0), (r"\bservicio\b.{0,30}\bno (?:se )?(?:ha )?(?:prestado|realizado|completado)", 3.0),
        (r"\breclamaci[óo]n|\bdisputa|\bno estamos de acuerdo|\bimpugn|\bdiscrepancia", 2.5), (r"\berror en (?:la|su) factura|\bfactura (?:es |está )?(?:incorrecta|errónea|mal)", 3.0),
    ],
    "invoice_copy": [
        (r"\bun duplicado\b|\bduplicata\b|\bein duplikat\b|\b(?:send|email) (?:it|them|us) again\b|\bsend (?:it|them) again\b|\bcan(?:'t| ?not) locate\b|\bals pdf\b|\ben pdf\b|\bthe pdf of\b|\bzukommen lassen\b", 2.5),
        (r"\b(?:senden|schicken)\b.{0,40}\b(?:erneut|nochmals|noch einmal)\b|\banhang fehlt\b|\bfalta el adjunto|\bla pièce jointe manque|\battachment is missing", 3.0),
        (r"\bcopy\b|\bkopie\b|\bcopie\b|\bcopia\b", 2.0),
        (r"\b(?:send|resend|re-send|forward|email|provide|share)\b.{0,25}\b(?:a |the )?(?:copy|copies|duplicate|pdf|statement)\b", 3.0),
        (r"\b(?:copy|copies|pdf) of (?:the |your |this |these )?(?:invoice|invoices|statement|bill)", 3.0),
        (r"\b(?:resend|re-send|send again|send us again)\b", 2.0),
        (r"\b(?:cannot|can't|can not|could not|couldn't|unable to) (?:find|locate|open|see)\b.{0,30}\b(?:invoice|bill|pdf|attachment)", 3.0),
        (r"\b(?:not|never|n't) (?:\w+ )?received (?:the |your |this |any |an )?(?:invoice|invoices|bill)\b|\battachment (?:is )?missing\b", 3.0),
        (r"\baccount statement\b|\bstatement of account\b", 2.0),
        (r"\brechnungskopie|\bkopie der rechnung|\b(?:erneut|nochmals|noch einmal) (?:zu)?(?:senden|schicken|zusenden|zukommen)|\bduplikat\b|\bkontoauszug\b", 3.0),
        (r"\brechnung\b.{0,30}\bnicht (?:erhalten|bekommen|gefunden|auffindbar)|\bkeine rechnung erhalten|\b(?:schicken|senden) sie (?:uns )?(?:bitte )?(?:die|eine) rechnung", 3.0),
        (r"\bcopie (?:de |des )?(?:la |les )?factures?|\b(?:renvoyer|renvoyez|retransmettre|transmettre à nouveau)\b|\brelevé de compte\b|\bduplicata\b", 3.0),
        (r"\b(?:pas|jamais) reçu (?:la|les|votre|cette) factures?|\bne (?:trouvons|retrouvons) pas (?:la|cette) facture", 3.0),
        (r"\bcopia de (?:la |las )?facturas?|\b(?:reenviar|reenvíen|reenvíe|enviar de nuevo|volver a enviar)\b|\bestado de cuenta\b|\bduplicado\b", 3.0),
        (r"\bno (?:hemos )?recibido (?:la|las|su|esta) facturas?|\bno (?:encontramos|localizamos) (?:la|esta) factura", 3.0),
    ],
    "out_of_office": [
        (r"\bout of (?:the )?office\b|\b(?:i am|i'm|i will be) (?:currently )?(?:away|on (?:annual |parental |sick )?leave|on vacation|on holiday|travell?ing)\b|\bon (?:annual )?leave until\b", 4.0),
        (r"\b(?:limited|no) access to (?:my )?e-?mail\b|\bwill (?:reply|respond|get back)\b.{0,30}\b(?:return|back)\b|\bback in the office\b|\bautomatic reply\b|\bauto-?reply\b", 3.0),
        (r"\babwesenheit|\bnicht im büro|\bbin (?:ich )?(?:bis|vom).{0,40}(?:abwesend|nicht erreichbar|im urlaub)|\bim urlaub\b|\bnicht erreichbar\b|\babwesend\b", 4.0),
        (r"\bab dem\b.{0,20}\bwieder\b|\bwieder (?:im büro|erreichbar|da)\b|\bautomatische antwort", 3.0),
        (r"\bje suis (?:actuellement )?(?:absente?|en congés?|en vacances|en déplacement)|\babsente? du bureau|\bmessage d'absence|\bréponse automatique", 4.0),
        (r"\bde retour (?:le|au bureau)\b|\bserai de retour\b", 3.0),
        (r"\bfuera de la oficina\b|\b(?:estoy|estaré) (?:de vacaciones|ausente|fuera)\b|\brespuesta automática|\bausente\b", 4.0),
        (r"\bde vuelta el\b|\bvolveré el\b|\bregreso el\b|\bestaré de regreso", 3.0),
    ],
    "payment_plan": [
        (r"\bpayment plan\b|\binstal?lments?\b|\bpayment schedule\b|\bpay in (?:\w+ )?(?:parts|tranches|monthly)|\bmonthly payments?\b|\bspread (?:the )?payments?\b|\brepayment plan\b", 4.0),
        (r"\b(?:cash ?flow|liquidity) (?:problems?|issues?|difficulties|constraints)\b|\bfinancial difficult", 1.5), (r"\bpartial payments?\b.{0,40}\b(?:each|every|per) (?:month|week)\b", 2.0),
        (r"\bratenzahlung|\braten\b|\bin (?:\w+ )?teilbeträgen|\bmonatliche (?:zahlungen|raten|beträge)|\bzahlungsplan|\btilgungsplan|\bstundung", 4.0),
        (r"\bliquiditätsengp|\bfinanzielle schwierigkeiten", 1.5),
        (r"\béchéancier|\bpaiement (?:échelonné|en plusieurs fois)|\ben plusieurs (?:fois|versements|mensualités)|\bmensualités|\bplan de (?:paiement|règlement)|\bétaler (?:le|les) paiements?", 4.0),
        (r"\bdifficultés (?:de trésorerie|financières)", 1.5),
        (r"\bplan de pagos?\b|\ba plazos\b|\ben (?:\w+ )?(?:cuotas|plazos)|\bpagos mensuales\b|\bfraccionad|\bcalendario de pagos|\baplazamiento", 4.0),
        (r"\bproblemas de (?:liquidez|tesorería)|\bdificultades (?:financieras|económicas)", 1.5),
    ],
    "wrong_contact": [
        (r"\bno longer (?:works?|with|employed|responsible|handl)|\bhas left (?:the company|us)\b|\bleft the company\b|\bis no longer\b", 4.0),
        (r"\b(?:wrong|incorrect) (?:person|contact|address|recipient|e-?mail)\b|\bnot the (?:right|correct) (?:person|contact)\b|\b(?:i am|i'm) not responsible\b|\bnot (?:in charge|responsible) (?:of|for)\b", 4.0),
        (r"\bplease (?:contact|write to|email|address|redirect|send (?:it |this |them |invoices |future \w+ )?to)\b|\bupdate your (?:records|contact)\b|\bcontact (?:is|person is) now\b", 2.0),
        (r"\bnicht mehr (?:bei uns|im unternehmen|für|zuständig|tätig|beschäftigt)|\bhat das unternehmen verlassen|\bnicht zuständig\b|\bfalsche[rn]? (?:ansprechpartner|empfänger|adresse|kontakt)", 4.0),
        (r"\bwenden sie sich (?:bitte )?an\b|\bbitte (?:an|schreiben sie an)\b.{0,40}@|\bzuständig ist (?:jetzt|nun|ab sofort)\b|\baktualisieren sie (?:bitte )?ihre", 2.0),
        (r"\bne fait plus partie|\bn'est plus (?:chez|dans|en charge|responsable)|\ba quitté (?:la société|l'entreprise)|\bpas la bonne (?:personne|adresse)|\bpas (?:en charge|responsable) de|\bmauvais (?:contact|destinataire|interlocuteur)", 4.0),
        (r"\bmerci de (?:contacter|écrire à|vous adresser à)|\bveuillez (?:contacter|écrire à|vous adresser à)|\bmettre à jour vos", 2.0),
        (r"\bya no trabaja|\bya no (?:está|es) (?:en|responsable)|\bdejó la empresa|\bno es la persona|\bno soy (?:la persona|responsable)|\b(?:contacto|destinatario|dirección) (?:equivocad|incorrect)", 4.0),
        (r"\bpor favor (?:contacte|escriba a|diríjase a)|\bactualicen? (?:sus|su) (?:datos|registros)", 2.0),
    ],
}
_COMPILED = {intent: [(re.compile(p, re.I), w) for p, w in rules] for intent, rules in _LEXICON.items()}
# the lexicon's own words (six letters or more), to read a misspelt one as the word meant ("trasnferido")
_VOCABULARY = frozenset(w.lower() for rules in _LEXICON.values() for p, _ in rules
                        for w in re.findall(r"[a-zà-ÿœß]{6,}", p.replace("(?:", " "), re.I))
_WORD = re.compile(r"[a-zà-ÿœß]{6,}", re.I)


def _one_slip(a: str, b: str) -> bool:
    """a and b one typing slip apart: two neighbours swapped, one letter changed, dropped or added."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def respell(text: str) -> str:
    """The text with each word of six letters or more that is one slip from exactly one lexicon word (and is
    none itself) replaced by that word. Deterministic; used only when the words as written decide nothing."""
    by_length: dict[int, list[str]] = {}
    for w in sorted(_VOCABULARY):
        by_length.setdefault(len(w), []).append(w)

    def fix(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in _VOCABULARY:
            return m.group(0)
        near = [w for n in (len(word) - 1, len(word), len(word) + 1) for w in by_length.get(n, ()) if _one_slip(word, w)]
        return near[0] if len(near) == 1 else m.group(0)

    return _WORD.sub(fix, text)


@dataclass(frozen=True)
class Intent:
    intent: str
    confidence: float
    evidence: tuple[str, ...]
    scores: dict[str, float]

    def also(self, threshold: float = 2.5) -> tuple[str, ...]:
        """Other intents the reply states strongly enough to propose their actions too."""
        return tuple(i for i, s in sorted(self.scores.items(), key=lambda kv: -kv[1])
                     if i != self.intent and s >= threshold)


def score(text: str, *, subject: str = "", auto_reply: bool = False) -> dict[str, tuple[float, list[str]]]:
    """Each intent's score (the weights of the distinct phrases found) and those phrases."""
    body = " ".join((text or "").split())[:6000]
    out: dict[str, tuple[float, list[str]]] = {}
    for intent, rules in _COMPILED.items():
        total, found = 0.0, []
        for rx, weight in rules:
            m = rx.search(body)
            if m:
                total += weight
                found.append(m.group(0).strip())
        out[intent] = (total, found)
    if auto_reply or re.search(r"out of (?:the )?office|automatic reply|abwesenheit|absence|fuera de la oficina|"
                               r"réponse automatique|automatische antwort|respuesta automática", subject or "", re.I):
        s, found = out["out_of_office"]
        out["out_of_office"] = (s + 3.0, found + ([f"subject: {subject}"] if subject else ["auto-reply header"]))
    # a plan proposes future payments: "we will pay in 3 installments" is a plan first
    if out["payment_plan"][0] >= 4.0:
        s, found = out["promise_to_pay"]
        out["promise_to_pay"] = (s * 0.5, found)
    # "we will pay once you correct the price" is a dispute first; "we paid, please send the invoice" is paid
    if out["dispute"][0] >= 3.0 and out["promise_to_pay"][0] > 0:
        s, found = out["promise_to_pay"]
        out["promise_to_pay"] = (s * 0.6, found)
    # out of office wins over whatever the auto-reply says about invoices
    if out["out_of_office"][0] >= 4.0:
        for other in ("promise_to_pay", "invoice_copy", "paid", "wrong_contact"):
            s, found = out[other]
            out[other] = (s * 0.4, found)
    return out


def classify(text: str, *, subject: str = "", auto_reply: bool = False) -> Intent:
    """The reply's intent (``other`` when no phrase is strong enough), a confidence in [0, 1] and its evidence."""
    scored = score(text, subject=subject, auto_reply=auto_reply)
    if max(s for s, _ in scored.values()) < 1.5:  # nothing decided: perhaps a word is misspelt
        scored = score(respell(text), subject=subject, auto_reply=auto_reply)
    ranked = sorted(((s, i) for i, (s, _) in scored.items()), key=lambda si: (-si[0], INTENTS.index(si[1])))
    (top, intent), (second, _) = ranked[0], ranked[1]
    scores = {i: round(s, 2) for i, (s, _) in scored.items()}
    if top < 1.5:
        return Intent("other", 0.5 if top == 0 else 0.4, tuple(scored[intent][1]), scores)
    confidence = (1 - math.exp(-top / 2.0)) * (top / (top + second))
    return Intent(intent, round(min(0.99, confidence), 2), tuple(dict.fromkeys(scored[intent][1])), scores)
