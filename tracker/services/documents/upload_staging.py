"""Holding an uploaded spreadsheet between its preview and the user's confirmation.

The file is kept on the server under a random token, with the id of the user
who uploaded it; the confirmation parses it again, so nothing parsed ever
travels through the browser. The files sit under IMPORT_STAGING_DIR (default:
UPLOAD_DIR/imports, the storage several workers already share) and expire.
"""
import json
import os
import re
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _

from ... import clock
from .. import DomainError

EXPIRES_AFTER = timedelta(hours=2)
TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class StagedFile:
    """An uploaded file waiting for confirmation."""

    token: str
    kind: str
    user_id: int
    filename: str
    data: bytes
    meta: dict


def staging_dir():
    """The directory that holds staged uploads (created on first use)."""
    path = current_app.config.get("IMPORT_STAGING_DIR") or os.path.join(current_app.config["UPLOAD_DIR"], "imports")
    os.makedirs(path, exist_ok=True)
    return path


def stage(user, kind, filename, data, **meta):
    """Keep an upload for `user` and return its token; expired uploads are removed on the way."""
    purge_expired()
    token = uuid.uuid4().hex
    base = os.path.join(staging_dir(), token)
    with open(base + ".bin", "wb") as handle:
        handle.write(data)
    info = {"kind": kind, "user_id": user.id if user is not None else None, "filename": filename,
            "created_at": clock.now().isoformat(), "meta": meta}
    with open(base + ".json", "w", encoding="utf-8") as handle:
        json.dump(info, handle, ensure_ascii=False)
    return token


def load(user, kind, token):
    """The staged file of this user and kind; DomainError when unknown, expired or someone else's."""
    gone = DomainError(_("The uploaded file is no longer available (it expired or was already imported). "
                         "Please upload it again."))
    if not isinstance(token, str) or not TOKEN.match(token):
        raise gone
    base = os.path.join(staging_dir(), token)
    try:
        with open(base + ".json", encoding="utf-8") as handle:
            info = json.load(handle)
        with open(base + ".bin", "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        raise gone from None
    if info.get("kind") != kind or info.get("user_id") != (user.id if user is not None else None):
        raise gone
    if clock.now() - datetime.fromisoformat(info["created_at"]) > EXPIRES_AFTER:
        discard(token)
        raise gone
    return StagedFile(token=token, kind=kind, user_id=info["user_id"], filename=info["filename"], data=data,
                      meta=info.get("meta") or {})


def discard(token):
    """Remove a staged upload (after it was imported, or when it expired)."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return
    for suffix in (".bin", ".json"):
        with suppress(FileNotFoundError):
            os.remove(os.path.join(staging_dir(), token + suffix))


def purge_expired():
    """Remove staged uploads older than EXPIRES_AFTER (by file time, so a broken sidecar goes too)."""
    directory = staging_dir()
    # File times are the machine's, not the product clock's (which tests move).
    cutoff = time.time() - EXPIRES_AFTER.total_seconds()
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass  # another worker removed it first
