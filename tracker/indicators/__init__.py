"""Assessment periods, the results import, the indicator board and tasks made from weak indicators."""
from flask import Blueprint

bp = Blueprint("indicators", __name__)

from . import generate_routes, import_routes, routes  # noqa: E402,F401
