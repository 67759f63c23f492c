"""The home page (the dashboard) and the language switch."""
from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.routes import safe_next
from ..extensions import db
from ..services.dashboard import overview
from ..services.tasks import action_views, queries
from . import bp, figures


@bp.route("/")
@login_required
def index():
    """Home: a unit's own tasks and what waits for the user; for the office and leaders, the overview."""
    filters, ignored = queries.TaskFilters.from_args(request.args)
    if current_user.is_unit_user:
        page = {"template_name_or_list": "main/unit.html", "dash": overview.unit_dashboard(current_user)}
    else:
        period = overview.find_period(filters.period_id)
        if filters.period_id and period is None:
            ignored.append("period")
        page = {"template_name_or_list": "main/index.html", "figures": figures.office_body(current_user, period),
                "views": action_views.mine_views(current_user), "view_counts": action_views.mine_counts(current_user)}
    if ignored:
        flash(_("Some filters were not understood and were ignored: %(names)s", names=", ".join(ignored)), "warning")
    return render_template(**page)


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    """Switch the UI language; remembered on the account when logged in."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
