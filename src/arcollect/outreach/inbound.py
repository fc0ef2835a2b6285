"""Inbound mail (pure): parse a raw message (mail-parser), tell replies, auto-replies, bounces and
forwards apart, find what it answers (In-Reply-To/References, then the sender, then invoice numbers),
and sanitise its HTML (nh3) — customer mail is untrusted input."""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.utils import getaddresses, parsedate_to_datetime

ID = re.compile(r"<[^<>\s]+>")
FORWARD = re.compile(r"^\s*(fwd?|wg|tr|rv|i)\s*:", re.I)
AUTO_SUBJECT = re.compile(r"(out of (the )?office|automatic reply|auto[- ]?reply|abwesenheit|absence|"
                          r"fuera de la oficina|réponse automatique|automatische antwort)", re.I)


@dataclass
class Parsed:
    message_id: str
    from_addr: str | None
    to_addrs: list[str]
    subject: str
    sent_at: dt.datetime | None
    in_reply_to: str | None
    references: list[str]
    kind: str  # reply | auto_reply | bounce | forward
    text: str
    html: str | None
    bounced: list[str] = field(default_factory=list)  # recipients a delivery-status report says failed
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file name, content type, data)
    from_name: str | None = None  # the sender's display name ("Ann Payer" of "Ann Payer <ap@…>")


def _ids(value: str | None) -> list[str]:
    return ID.findall(value or "")


def _bounced_recipients(msg: email.message.EmailMessage) -> list[str]:
    """Final-Recipient addresses of failed deliveries in a multipart/report (RFC 3464)."""
    out = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload() if part.is_multipart() else [part]:
                items = dict(block.items()) if hasattr(block, "items") else {}
                action = str(items.get("Action", "")).lower()
                recipient = str(items.get("Final-Recipient", items.get("Original-Recipient", "")))
                if recipient and action in ("failed", ""):
                    out.append(recipient.split(";", 1)[-1].strip().lower())
    return sorted(set(out))


def parse(raw: bytes) -> Parsed:
    import mailparser
    import nh3

    std = email.message_from_bytes(raw, policy=policy.default)
    mp = mailparser.parse_from_bytes(raw)
    senders = getaddresses([str(std.get("From", ""))])
    sender = senders[0][1].lower() if senders and senders[0][1] else None
    recipients = [a.lower() for _, a in getaddresses([str(std.get("To", "")), str(std.get("Cc", ""))]) if a]
    subject = " ".join(str(std.get("Subject", "")).split())
    message_id = (_ids(str(std.get("Message-ID", ""))) or [None])[0]
    if message_id is None:  # no Message-ID: the content identifies it (never processed twice)
        message_id = f"<sha256-{hashlib.sha256(raw).hexdigest()}@arcollect.invalid>"
    try:
        sent_at = parsedate_to_datetime(str(std["Date"])) if std.get("Date") else None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = sent_at.replace(tzinfo=dt.timezone.utc)
    except (TypeError, ValueError):
        sent_at = None
    bounced = _bounced_recipients(std) if std.get_content_type() == "multipart/report" else []
    auto = str(std.get("Auto-Submitted", "no")).lower()
    if bounced or (sender or "").startswith(("mailer-daemon@", "postmaster@")):
        kind = "bounce"
    elif (auto and auto != "no") or std.get("X-Autoreply") or std.get("X-Autorespond") or AUTO_SUBJECT.search(subject):
        kind = "auto_reply"
    elif FORWARD.match(subject):
        kind = "forward"
    else:
        kind = "reply"
    html = "\n".join(mp.text_html) if mp.text_html else None
    attachments = []
    for a in mp.attachments:
        payload = a.get("payload") or ""
        data = base64.b64decode(payload) if a.get("binary") else str(payload).encode("utf-8")
        attachments.append((a.get("filename") or "attachment", a.get("mail_content_type") or "application/octet-stream", data))
    return Parsed(message_id=message_id, from_addr=sender, to_addrs=recipients, subject=subject, sent_at=sent_at,
                  in_reply_to=(_ids(str(std.get("In-Reply-To", ""))) or [None])[0],
                  references=_ids(str(std.get("References", ""))), kind=kind,
                  text="\n".join(mp.text_plain), html=nh3.clean(html) if html else None,
                  bounced=bounced, attachments=attachments,
                  from_name=(senders[0][0].strip() or None) if senders and senders[0][1] else None)


def invoice_candidates(text: str) -> set[str]:
    """Numbers the text names as documents, as written (checked against the ledger by the caller) — read by
    the one remittance reader of arcollect (cashapp.remittance)."""
    from arcollect.cashapp.remittance import invoice_numbers

    return {n.strip("#.-_/") for n in invoice_numbers(text or "")} - {""}
