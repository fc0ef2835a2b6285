"""What counts as an email address, for imports, the web app and the API alike.

One pattern, written so that Python's ``re`` and the ECMAScript regexes of JSON Schema/OpenAPI agree on
it: no whitespace or control characters anywhere, one ``@``, a dot in the domain.
"""

from __future__ import annotations

import re

_ATOM = r"[^@\s,;\x00-\x1f\x7f-\x9f\ufeff]+"
EMAIL_PATTERN = rf"^{_ATOM}@{_ATOM}\.{_ATOM}$"
MAX_LENGTH = 254
_EMAIL_RE = re.compile(EMAIL_PATTERN)


def is_email_address(value: str) -> bool:
    return len(value) <= MAX_LENGTH and _EMAIL_RE.match(value) is not None
