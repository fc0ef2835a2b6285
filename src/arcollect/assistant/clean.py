"""What the customer wrote (pure): HTML to text, then the quoted history, forwarded messages, signatures and
legal disclaimers cut away — in English, German, French and Spanish — so the assistant reads only the reply."""

from __future__ import annotations

import html as html_lib
import re
import unicodedata

# a line that opens the quoted history ("On Mon, 2 Nov 2026, AR <ar@…> wrote:", "Am … schrieb …:")
_QUOTE_HEADER = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote\s*:?"
    r"|am\b.{0,200}\bschrieb\b.{0,200}:?"
    r"|le\b.{0,200}\ba\s+[ée]crit\s*:?"
    r"|el\b.{0,200}\bescribi[óo]\s*:?"
    r"|-{2,}\s*(?:original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original|"
    r"forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|mensaje reenviado)\s*-{0,}"
    r"|_{5,}"
    r"|begin forwarded message\s*:?"
    r"|anfang der weitergeleiteten nachricht\s*:?"
    r"|(?:from|von|de)\s*:\s*.{0,200}(?:@|\[mailto).*"
    r")\s*$", re.I)
# mail-client headers of a quoted block (Outlook writes them without "wrote:")
_HEADER_LINE = re.compile(r"^\s*\**(?:from|von|de|sent|gesendet|envoy[ée]|enviado|to|an|[àa]|para|subject|betreff|"
                          r"objet|asunto|date|datum|fecha|cc)\s*:\**", re.I)
# a closing formula: the signature starts after it
_SIGNOFF = re.compile(
    r"^\s*(?:"
    r"(?:best|kind|warm|many thanks and)?\s*regards|best|cheers|thanks(?: (?:again|and regards))?|thank you|"
    r"many thanks|sincerely|yours (?:sincerely|faithfully|truly)|br|rgds|kr|"
    r"mit freundlichen gr[üu](?:ß|ss)en|mfg|freundliche gr[üu](?:ß|ss)e|viele gr[üu](?:ß|ss)e|beste gr[üu](?:ß|ss)e|"
    r"gr[üu](?:ß|ss)e|lg|danke(?: und gr[üu](?:ß|ss)e)?|vielen dank|"
    r"cordialement|bien cordialement|bien [àa] vous|salutations(?: distingu[ée]es)?|merci(?: d'avance| beaucoup)?|"
    r"sinc[èe]res salutations|meilleures salutations|"
    r"saludos(?: cordiales)?|un saludo|atentamente|gracias|muchas gracias|cordialmente|un cordial saludo"
    r")\s*[,.!]*\s*$", re.I)
_SIG_DASHES = re.compile(r"^\s*--\s*$|^\s*—\s*$")
_SENT_FROM = re.compile(r"^\s*(?:sent from my|von meinem .* gesendet|envoy[ée] de mon|enviado desde mi)\b", re.I)
_DISCLAIMER = re.compile(
    r"(?:this (?:e-?mail|message)(?: and any (?:files|attachments)[^.]*)? (?:is|are|may be|contains?) "
    r"(?:confidential|privileged|intended)"
    r"|confidentiality notice|disclaimer\s*:"
    r"|diese (?:e-?mail|nachricht) (?:enth[äa]lt|ist) vertraulich|diese e-?mail (?:kann|könnte) vertrauliche"
    r"|ce (?:message|courriel|e-?mail)(?: et (?:toutes )?(?:les|ses) pi[èe]ces jointes)? (?:est|sont|peut contenir) "
    r"(?:confidentiel|strictement|des informations)"
    r"|este (?:mensaje|correo)(?: y sus (?:anexos|adjuntos))? (?:es|son|contiene|puede contener) (?:confidencial|"
    r"informaci[óo]n)"
    r"|please consider the environment before printing|p\s*think before you print)", re.I)

_BLOCK_TAGS = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d|/table|/blockquote|hr)\b[^>]*>", re.I)
_DROP = re.compile(r"<\s*(script|style|head)\b.*?<\s*/\s*\1\s*>", re.I | re.S)
_QUOTE_BLOCK = re.compile(r"<\s*blockquote\b.*?<\s*/\s*blockquote\s*>", re.I | re.S)
_GMAIL_QUOTE = re.compile(r"<div[^>]*class=\"?[^\">]*(?:gmail_quote|moz-cite-prefix|OutlookMessageHeader)[^>]*>.*",
                          re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: scripts and styles dropped, block ends as line breaks, entities decoded;
    a quoted reply (``<blockquote>``, Gmail/Thunderbird/Outlook quote containers) is left out."""
    s = _DROP.sub(" ", html or "")
    s = _GMAIL_QUOTE.sub(" ", s)
    s = _QUOTE_BLOCK.sub("\n", s)
    s = _BLOCK_TAGS.sub("\n", s)
    s = re.sub(r"<\s*p\b[^>]*>|<\s*div\b[^>]*>", "\n", s, flags=re.I)
    s = _TAG.sub("", s)
    s = html_lib.unescape(s).replace("\u00a0", " ")
    return "\n".join(" ".join(line.split()) for line in s.splitlines())


def _cut_at_quote(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _QUOTE_HEADER.match(line):
            return lines[:i]
        # an Outlook header block: "From:" / "Von:" followed by a "Sent:"/"To:"/"Subject:" line
        if _HEADER_LINE.match(line) and i + 1 < len(lines) and sum(
                1 for nxt in lines[i + 1:i + 4] if _HEADER_LINE.match(nxt)) >= 1 and re.match(
                r"^\s*\**(?:from|von|de)\s*:", line, re.I):
            return lines[:i]
    return lines


def _cut_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line) or _SENT_FROM.match(line):
            return lines[:i]
        if i > 0 and _SIGNOFF.match(line):
            return lines[:i]
    return lines


def _cut_disclaimer(text: str) -> str:
    m = _DISCLAIMER.search(text)
    return text[:m.start()] if m else text


def reply_text(*, text: str | None, html: str | None = None) -> str:
    """The customer's own words: the plain body (else the HTML's text) without quoted history, forwarded
    messages, signature and disclaimer. A message that is only a forward keeps the forwarded text."""
    body = text if (text or "").strip() else html_to_text(html or "")
    body = unicodedata.normalize("NFKC", body).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in body.split("\n")]
    lines = [line for line in lines if not line.lstrip().startswith(">")]
    own = _cut_at_quote(lines)
    if not "".join(own).strip():  # "Fwd:" with nothing written above: read what was forwarded
        own = [line for line in lines if not _HEADER_LINE.match(line) and not _QUOTE_HEADER.match(line)]
    own = _cut_signature(own)
    out = _cut_disclaimer("\n".join(own))
    return re.sub(r"\n{3,}", "\n\n", out).strip()


def quoted_text(*, text: str | None, html: str | None = None) -> str:
    """What the reply quotes (our message it answers), for linking by dunning reference or invoice number."""
    body = text if (text or "").strip() else html_to_text(html or "")
    own = reply_text(text=text, html=html)
    return body.replace(own, " ", 1) if own else body
