"""A real SMTP server (aiosmtpd on 127.0.0.1) that keeps every message it receives (the ``smtp`` fixture)."""

from __future__ import annotations

import email
import socket
import threading
import time
from email import policy
from contextlib import contextmanager
from typing import Iterator


class Inbox:
    def __init__(self, delay: float = 0.0) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        parsed = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]).strip() for _, _, m in self.messages]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(inbox: Inbox):  # noqa: ANN201
    from aiosmtpd.controller import Controller

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


@contextmanager
def running_smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = start_smtp(inbox)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", controller.port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
