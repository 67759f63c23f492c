"""What every response carries and every URL number is held to: security headers, and ids the database can store."""
from flask import request
from werkzeug.routing import IntegerConverter

from .models.types import MAX_DB_INT, db_int

# Scripts and styles only from the product's own files (static/), never inline: a page that
# an attacker manages to inject text into still cannot run it. frame-ancestors 'self': the
# bulletin page frames the product's own PDF; nothing else may frame a page (clickjacking
# of the one-click approve and dispatch forms).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class DbIntConverter(IntegerConverter):
    """`<int:…>` in a route, limited to what an id column stores: a larger number is a 404, not a 500."""

    def __init__(self, url_map, *args, **kwargs):
        """An IntegerConverter whose maximum defaults to MAX_DB_INT."""
        kwargs.setdefault("max", MAX_DB_INT)
        super().__init__(url_map, *args, **kwargs)


def page_number(value):
    """A page number for pagination: a whole number from 1 that the database can count to; ValueError otherwise."""
    number = db_int(value)
    if number < 1:
        raise ValueError(f"{value!r} is not a page")
    return number


def add_headers(response):
    """The security headers on every response; task data never kept in a browser's or a proxy's cache."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        # Pages only: a PDF or a spreadsheet is shown by the browser's own viewer, which a
        # page policy (object-src 'none') would stop inside the bulletin's preview frame.
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    # Every page but the static files: asking who is signed in here would need the database, which
    # the 500 page must do without; the sign-in page is not worth keeping either.
    if request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    return response


def init_app(app):
    """Route numbers bounded (before any blueprint registers its rules), headers on every response."""
    app.url_map.converters["int"] = DbIntConverter
    app.after_request(add_headers)
