"""A private Dovecot IMAP server for the tests: its own config, 127.0.0.1, a temp maildir, one user."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
CONFIG = """base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=vmail gid=vmail home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
namespace inbox {{
  inbox = yes
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    user = "collections"
    password = "imap test password"

    def __init__(self) -> None:
        if not DOVECOT.exists():
            raise RuntimeError(f"{DOVECOT} is missing: run `make test` (it installs Debian's dovecot-imapd)")
        self.root = Path(tempfile.mkdtemp(prefix="arcollect-imap-"))
        self.port = _free_port()

    def start(self) -> "Dovecot":
        (self.root / "run").mkdir()
        (self.root / "mail").mkdir()
        os.chmod(self.root, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.root / "mail", "vmail", "vmail")
        (self.root / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port))
        subprocess.run([str(DOVECOT), "-c", str(config)], check=True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {(self.root / 'dovecot.log').read_text()[-2000:]}")

    def client(self):  # noqa: ANN201
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False)
        client.login(self.user, self.password)
        return client

    def deliver(self, *messages: bytes) -> None:
        """Put messages in the INBOX, as the mail server would on delivery."""
        with self.client() as c:
            for m in messages:
                c.append("INBOX", m)

    def settings(self) -> dict[str, object]:
        """arcollect's IMAP settings for this server."""
        return {"imap_host": "127.0.0.1", "imap_port": self.port, "imap_user": self.user, "imap_password": self.password}

    def stop(self) -> None:
        pid_file = self.root / "run" / "master.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            time.sleep(0.2)
        shutil.rmtree(self.root, ignore_errors=True)


def mail(headers: dict[str, str], body: str, content_type: str = "text/plain") -> bytes:
    """A raw RFC 5322 message (CRLF line ends) with a date and MIME headers."""
    head = "".join(f"{k}: {v}\r\n" for k, v in {"Date": "Mon, 23 Nov 2026 10:00:00 +0000", "MIME-Version": "1.0",
                                                 "Content-Type": f"{content_type}; charset=utf-8", **headers}.items())
    return (head + "\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n").encode()
