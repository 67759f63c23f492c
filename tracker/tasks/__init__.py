"""The task list, task pages and the workflow actions."""
from flask import Blueprint

bp = Blueprint("tasks", __name__)

from . import actions, correction_routes, export_routes, notice_routes, recheck_routes, routes  # noqa: E402,F401
