"""Sending over SMTP (the port is a small Protocol; tests use a real aiosmtpd server)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from arcollect.settings import Settings


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def build_email(*, settings: Settings, to: list[str], subject: str, text: str, html: str, message_id: str,
                references: list[str] | None = None,
                attachments: list[tuple[str, bytes]] | None = None) -> EmailMessage:
    """A multipart/alternative message: plain text first, HTML second; Message-ID set so replies thread."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = ", ".join(to)
    if settings.mail_reply_to:
        msg["Reply-To"] = settings.mail_reply_to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    if references:
        msg["References"] = " ".join(references)
        msg["In-Reply-To"] = references[-1]
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for name, data in attachments or []:  # PDF letters
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return msg


def new_message_id(key: str, settings: Settings) -> str:
    domain = settings.mail_from.rsplit("@", 1)[-1].strip("> ") or "arcollect.local"
    return make_msgid(idstring=key.replace("/", ".")[:60], domain=domain)


class SmtpSender:
    """One SMTP connection for a batch (STARTTLS and login when configured; BCC to the collections box)."""

    def __init__(self, settings: Settings, timeout: float = 30, bcc: bool = True) -> None:
        self.settings = settings
        self.bcc = bcc  # internal notices are not copied to the collections archive
        self.client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout)
        if settings.smtp_starttls:
            self.client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            self.client.login(settings.smtp_user, settings.smtp_password or "")

    def send(self, message: EmailMessage) -> None:
        recipients = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
        if self.settings.mail_bcc and self.bcc:
            recipients.append(self.settings.mail_bcc)
        self.client.send_message(message, from_addr=self.settings.mail_from, to_addrs=recipients)

    def close(self) -> None:
        try:
            self.client.quit()
        except smtplib.SMTPException:
            self.client.close()
