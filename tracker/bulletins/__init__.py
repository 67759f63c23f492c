"""Monthly bulletins (月度通报): the list, generate and issue, and the PDFs."""
from flask import Blueprint

bp = Blueprint("bulletins", __name__)

from . import routes  # noqa: E402,F401
