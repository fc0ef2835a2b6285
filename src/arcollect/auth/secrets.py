"""Password hashing (argon2id), API token and web session id generation/hashing. Pure apart from randomness."""

from __future__ import annotations

import hashlib
import os
import secrets
import string

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# The test suite hashes thousands of passwords: it sets this to use argon2's cheapest parameters (as Django's
# docs advise for tests). Never set it on a server — docs/development.md says the same.
CHEAP_HASHES_ENV = "ARCOLLECT_TEST_CHEAP_PASSWORD_HASHES"
_hasher = (PasswordHasher.from_parameters(profiles.CHEAPEST) if os.environ.get(CHEAP_HASHES_ENV) == "1"
           else PasswordHasher())
TOKEN_PREFIX = "arc_"
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        # same cost as a real check, so timing does not reveal which logins exist
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def random_password(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
