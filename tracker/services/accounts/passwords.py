"""The minimum strength of a new password, one rule for the password page, the admin pages and the CLI."""
import os
import re
from functools import lru_cache

from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from .. import DomainError

MIN_LENGTH = 8
COMMON_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "common_passwords.txt")
# Lower-case letters, capitals, digits, anything else (punctuation, Chinese characters).
CLASSES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[0-9]"), re.compile(r"[^a-zA-Z0-9]"))


class WeakPassword(DomainError):
    """A new password that would be guessed early; the message says why."""


@lru_cache(maxsize=1)
def common_passwords():
    """The shipped list of common passwords, lower-cased."""
    with open(COMMON_FILE, encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def character_classes(password):
    """How many of the four kinds of characters the password mixes."""
    return sum(1 for pattern in CLASSES if pattern.search(password))


def check_strength(password, username=None, current_hash=None):
    """Raise WeakPassword when `password` is too weak for this user (their name, their current hash)."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_("A password needs at least %(n)d characters.", n=MIN_LENGTH))
    if character_classes(password) < 2:
        raise WeakPassword(_("A password must mix at least two kinds of characters: lower-case letters, "
                             "capitals, digits or symbols."))
    lowered = password.lower()
    if lowered in common_passwords():
        raise WeakPassword(_("This password is one of the most common ones, which are tried first. "
                             "Choose another."))
    name = (username or "").strip().lower()
    # The user name with digits added (zhangsan123) is the second thing an attacker tries.
    if name and (lowered == name or (lowered.startswith(name) and lowered[len(name):].isdigit())):
        raise WeakPassword(_("A password must not be the user name."))
    if current_hash and check_password_hash(current_hash, password):
        raise WeakPassword(_("The new password must differ from the current one."))
