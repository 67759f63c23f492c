"""Task routes: thin, each loading through the permission-checking loader."""
from flask import abort, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services import PermissionDenied, lights, task_queries
from . import bp


def load_task(task_id):
    """The task if the current user may see it; 404 when missing, 403 when hidden."""
    try:
        task = task_queries.get_task(current_user, task_id)
    except PermissionDenied:
        abort(403)
    if task is None:
        abort(404)
    return task


@bp.route("/")
@login_required
def index():
    """The task list: filtered, searchable, paginated, limited to what the user may see."""
    filters, ignored = task_queries.TaskFilters.from_args(request.args)
    if ignored:
        flash(_("Some filters were not understood and were ignored: %(names)s", names=", ".join(ignored)), "warning")
    page = request.args.get("page", 1, type=int)
    pagination = task_queries.task_page(current_user, filters, page, current_app.config["TASKS_PER_PAGE"])
    states = lights.states_for(pagination.items)
    return render_template(
        "tasks/index.html", pagination=pagination, states=states, filters=filters,
        units=task_queries.lead_unit_choices(current_user),
    )


@bp.route("/<int:task_id>")
@login_required
def detail(task_id):
    """Everything about one task on one screen (read-only here)."""
    task = load_task(task_id)
    return render_template(
        "tasks/detail.html", task=task, state=lights.task_state(task),
        history=task_queries.task_history(task),
    )
