"""Outbound HTTP (group robots now; SMS and WeCom/DingTalk APIs later): never to the server's own networks.

A robot address is typed by an administrator; without a check it could make the server post
to itself (127.0.0.1, [::1]), to the cloud metadata service (169.254.169.254) or to any port.
Only https is used (http where the administrator allows it, WEBHOOK_ALLOW_HTTP), never to
loopback, link-local (which holds the metadata range), 0.0.0.0/8 or their IPv4-mapped IPv6
forms, unless the host is listed in WEBHOOK_ALLOWED_HOSTS. The check is made on the address
actually connected to, after resolving, so a name that resolves differently later (DNS
rebinding) gains nothing. Redirects are never followed.
"""
import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from .. import DomainError

BLOCKED_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8", "::1/128", "::/128", "fe80::/10", "fd00:ec2::254/128",
))


class AddressRefused(DomainError):
    """The address is one the server must not send to."""


def allowed_hosts():
    """Host names and addresses the administrator allows even inside the blocked networks."""
    text = current_app.config.get("WEBHOOK_ALLOWED_HOSTS") or ""
    return {host.strip().lower().strip("[]") for host in text.replace(";", ",").split(",") if host.strip()}


def http_allowed():
    """May robots be reached over plain http (an intranet without TLS, by the administrator's choice)?"""
    return bool(current_app.config.get("WEBHOOK_ALLOW_HTTP"))


def is_blocked(address):
    """True for an address in (or IPv4-mapped into) the networks the server must not reach."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in BLOCKED_NETWORKS)


def check_url(url):
    """AddressRefused unless the URL's scheme is allowed and its host, when written as an address, is too."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (parts.scheme == "http" and http_allowed()):
        raise AddressRefused(_("Robot addresses must start with https:// (plain http is not allowed here)."))
    host = (parts.hostname or "").lower()
    if host in allowed_hosts():
        return
    try:
        blocked = is_blocked(host)
    except ValueError:
        return  # a name: checked on the address it resolves to, when connecting
    if blocked:
        raise AddressRefused(_("This address belongs to the server itself or its local network; "
                               "messages are not sent there."))


def connect_address(host, port, timeout):
    """A socket to the first allowed address of `host`; AddressRefused when every address is blocked."""
    allowed = host.lower() in allowed_hosts()
    last_error = None
    for family, kind, proto, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        if not allowed and is_blocked(address[0]):
            last_error = AddressRefused(_("This address belongs to the server itself or its local network; "
                                          "messages are not sent there."))
            continue
        sock = socket.socket(family, kind, proto)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        return sock
    raise last_error or OSError(f"no address for {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection made only to an allowed address."""

    def connect(self):
        """Connect to a checked address of the host."""
        self.sock = connect_address(self.host, self.port, self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection made only to an allowed address, verified against the host's name."""

    def connect(self):
        """Connect to a checked address, then TLS with the host's name."""
        sock = connect_address(self.host, self.port, self.timeout)
        self.sock = (self._context or ssl.create_default_context()).wrap_socket(sock, server_hostname=self.host)


def post_json(url, body, timeout):
    """POST `body` (bytes of JSON) to `url`; (status, first 64 KB of the reply). Never follows a redirect."""
    check_url(url)
    parts = urlsplit(url)
    connection_class = _CheckedHTTPSConnection if parts.scheme == "https" else _CheckedHTTPConnection
    connection = connection_class(parts.hostname, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers={"Content-Type": "application/json; charset=utf-8"})
        response = connection.getresponse()
        return response.status, response.reason, response.read(65536)
    finally:
        connection.close()
