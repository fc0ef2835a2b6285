"""Uploaded import files (API, web): saved under ``HOME/uploads/<token>/`` while they are checked and
confirmed, copied at most ``Settings.upload_max_bytes`` (stopping as soon as a stream is over, never read
whole first), and pruned once older than ``Settings.upload_keep_hours`` (an upload checked but never
confirmed does not stay forever). Ages come from the one clock: a folder's mtime is set from it."""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound

CHUNK = 1024 * 1024
SUFFIXES = (".csv", ".xlsx", ".txt")


def _root(ctx: Context) -> Path:
    return Path(ctx.settings.home) / "uploads"


def too_large(limit: int) -> str:
    return f"larger than {limit / 1024 / 1024:g} MB (upload_max_bytes)"


def prune_uploads(ctx: Context) -> int:
    """Remove upload folders older than the keep time; how many were removed."""
    root = _root(ctx)
    if not root.is_dir():
        return 0
    oldest = (ctx.clock.now() - dt.timedelta(hours=ctx.settings.upload_keep_hours)).timestamp()
    removed = 0
    for folder in root.iterdir():
        try:
            if folder.is_dir() and folder.stat().st_mtime < oldest:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue  # removed meanwhile by another request
    return removed


def save_upload(ctx: Context, *, name: str, stream: Any) -> Path:
    """Copy an uploaded file under ``home/uploads/<random>/`` keeping its (sanitised) name, so that
    error messages name the file the user sent. Refuses a file over the size limit while copying it."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).lstrip(".") or "upload.csv"
    if Path(safe).suffix.lower() not in SUFFIXES:
        raise InvalidInput(f"{safe}: upload a .csv or .xlsx file")
    prune_uploads(ctx)
    limit = ctx.settings.upload_max_bytes
    folder = _root(ctx) / secrets.token_hex(8)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe
    copied = 0
    try:
        with open(target, "wb") as out:
            while chunk := stream.read(CHUNK):
                copied += len(chunk)
                if copied > limit:
                    raise InvalidInput(f"{safe}: {too_large(limit)}")
                out.write(chunk)
    except BaseException:
        discard_upload(target)
        raise
    stamp = ctx.clock.now().timestamp()
    os.utime(folder, (stamp, stamp))
    return target


def find_upload(ctx: Context, *, token: str) -> Path:
    """The file saved by ``save_upload`` under ``token`` (its folder's name), unless it expired."""
    prune_uploads(ctx)
    folder = _root(ctx) / token
    files = sorted(folder.iterdir()) if re.fullmatch(r"[0-9a-f]{16}", token) and folder.is_dir() else []
    if not files:
        raise NotFound(f"the uploaded file is gone (uploads are kept {ctx.settings.upload_keep_hours:g} hours "
                       "until imported); upload it again")
    return files[0]


def discard_upload(path: Path) -> None:
    shutil.rmtree(Path(path).parent, ignore_errors=True)
