"""Passwords are hashed with argon2id at argon2-cffi's default (RFC 9106 low-memory) cost on every real
install; only the suite opts into the cheapest parameters, through a variable no server sets."""

from __future__ import annotations

import os
import subprocess
import sys

from arcollect.auth import secrets


def test_a_server_hashes_passwords_at_the_full_argon2id_cost():
    env = {k: v for k, v in os.environ.items() if k != secrets.CHEAP_HASHES_ENV}
    code = ("from arcollect.auth import secrets; h = secrets.hash_password('correct horse battery'); "
            "print(h.split('$')[1], h.split('$')[3]); assert secrets.verify_password(h, 'correct horse battery')")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["argon2id", "m=65536,t=3,p=4"]


def test_the_suite_runs_with_cheap_hashes_and_they_still_verify():
    assert os.environ.get(secrets.CHEAP_HASHES_ENV) == "1"
    stored = secrets.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and secrets.verify_password(stored, "correct horse battery")
    assert not secrets.verify_password(stored, "wrong horse battery")
