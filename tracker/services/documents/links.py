"""Addresses of the site's pages as users reach it (TRACKER_BASE_URL), built without a request.

Mail, robot messages and the QR codes printed on notices all link through here.
"""
from urllib.parse import urlsplit

from flask import current_app

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0")


def url_adapter():
    """A URL builder for the site as users reach it (TRACKER_BASE_URL), usable without a request."""
    base = urlsplit(current_app.config["TRACKER_BASE_URL"])
    return current_app.url_map.bind(base.netloc or "localhost", script_name=base.path or "/",
                                    url_scheme=base.scheme or "http")


def absolute_url(endpoint, **values):
    """The full address of a page, for links in mail, robot messages and printed QR codes."""
    return url_adapter().build(endpoint, values, force_external=True)


def is_loopback_base_url():
    """True while TRACKER_BASE_URL still points at this machine (the default): nobody else can open its links."""
    host = (urlsplit(current_app.config["TRACKER_BASE_URL"]).hostname or "localhost").lower()
    return host in LOOPBACK_HOSTS or host.startswith("127.")
