"""The home page and the language switch."""
from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ..auth.routes import safe_next
from ..extensions import db
from ..services import lights, task_queries
from . import bp


@bp.route("/")
@login_required
def index():
    """Home: the user's tasks at a glance, by status, with the most urgent first."""
    counts = task_queries.status_counts(current_user)
    urgent = [t for t in task_queries.task_page(current_user, task_queries.TaskFilters(), 1, 10).items if t.is_open]
    return render_template(
        "main/index.html", counts=counts, urgent=urgent, states=lights.states_for(urgent),
        views=task_queries.mine_views(current_user), view_counts=task_queries.mine_counts(current_user),
    )


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code):
    """Switch the UI language; remembered on the account when logged in."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
