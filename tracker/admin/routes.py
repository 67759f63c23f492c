"""Admin routes for units and users."""
from flask import render_template

from ..permissions import ADMIN, role_required
from . import bp


@bp.route("/units")
@role_required(ADMIN)
def units():
    """List units."""
    return render_template("admin/units.html")


@bp.route("/users")
@role_required(ADMIN)
def users():
    """List users."""
    return render_template("admin/users.html")
