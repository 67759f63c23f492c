"""Files that belong to database rows: written beside their place first, moved into it once the row is committed.

Whatever happens at the commit, a row never points at a file that was deleted: a definite
failure removes the pending file; a commit the database did not answer leaves it pending, and
the first reader (or `flask files check`) moves it into place when its row turns out to exist,
or removes it once it is older than PENDING_MAX_AGE and no row claims it.
"""
import errno
import glob
import os
import secrets
import time

from flask_babel import gettext as _

from .. import DomainError

PENDING_SUFFIX = ".pending"
PENDING_MAX_AGE = 2 * 3600  # seconds; a commit is answered (or lost) in far less


class DiskFull(DomainError):
    """The file could not be written because the disk is full; nothing was left behind."""


def pending_path(final_path):
    """A new, unique name beside `final_path` for its content until the row is committed."""
    folder, name = os.path.split(final_path)
    return os.path.join(folder, f".{name}.{secrets.token_hex(6)}{PENDING_SUFFIX}")


def write_pending(final_path, content):
    """Write `content` under a pending name beside `final_path`; DiskFull (and no file) when the disk is full."""
    os.makedirs(os.path.dirname(final_path), exist_ok=True)
    path = pending_path(final_path)
    try:
        with open(path, "xb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        discard(path)
        if is_disk_full(error):
            raise disk_full() from None
        raise
    return path


def is_disk_full(error):
    """True for the OSError of a full disk (or a used-up quota)."""
    return error.errno in (errno.ENOSPC, errno.EDQUOT)


def disk_full():
    """The error a user sees when the disk is full."""
    return DiskFull(_("The server's disk is full: the file could not be saved, and nothing was saved. "
                      "Tell the administrator; try again once space is freed."))


def place(pending, final_path, read_only=False):
    """Move a pending file into its place (atomically; over nothing else of the same name)."""
    os.replace(pending, final_path)
    if read_only:
        os.chmod(final_path, 0o444)


def discard(path):
    """Remove a file if it is there (a pending file after a definite failure, a superseded one)."""
    if path and os.path.lexists(path):
        if not os.access(path, os.W_OK):
            os.chmod(path, 0o644)
        os.remove(path)


def pending_for(final_path):
    """The pending files written for `final_path`, newest first."""
    folder, name = os.path.split(final_path)
    found = glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.*{PENDING_SUFFIX}"))
    return sorted(found, key=os.path.getmtime, reverse=True)


def recover(final_path, read_only=False):
    """Make sure the file of a committed row is in place: move its pending copy there if that is all there is.

    Returns True when the file is (now) in place.
    """
    if os.path.isfile(final_path):
        return True
    for pending in pending_for(final_path):
        place(pending, final_path, read_only)
        return True
    return False


def orphans(folder, claimed, now=None):
    """Pending files under `folder` no row claims (their final name not in `claimed`) and older than the limit."""
    now = now or time.time()
    found = []
    for path in glob.glob(os.path.join(glob.escape(folder), "**", f".*{PENDING_SUFFIX}"), recursive=True):
        final_name = os.path.basename(path)[1:].rsplit(".", 2)[0]
        if final_name not in claimed and now - os.path.getmtime(path) > PENDING_MAX_AGE:
            found.append(path)
    return sorted(found)
