"""After 回头看: reopen a closed task (back to 整改中) or make a follow-up task linked to it."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..services import DomainError, PermissionDenied
from ..services.indicators import continuity
from ..services.tasks import reopening
from . import bp
from .actions import FORM_OPTIONS, versioned
from .forms import FollowUpForm, ReopenForm
from .routes import denied, load_task, perform


@bp.route("/<int:task_id>/reopen", **FORM_OPTIONS)
@login_required
def reopen(task_id):
    """The office reopens a closed task with a new deadline and a reason."""
    task = load_task(task_id)
    form = versioned(ReopenForm, task)
    mark, period = continuity.latest_recheck(task)
    return perform(task, "reopen", form,
                   lambda: reopening.reopen(current_user, task, form.new_deadline_on.data, form.reason.data,
                                            form.version.data),
                   _("The task was reopened; its units were told."), recheck=mark, recheck_period=period)


@bp.route("/<int:task_id>/follow-up", **FORM_OPTIONS)
@login_required
def follow_up(task_id):
    """The office makes a follow-up draft linked to a closed task, then edits and dispatches it."""
    task = load_task(task_id)
    denial = permissions.role_denial(current_user, "follow_up", task) or permissions.state_denial("follow_up", task)
    if denial:
        return denied(str(denial), task)
    form = versioned(FollowUpForm, task)
    mark, period = continuity.latest_recheck(task)
    error, status = None, 200
    if form.validate_on_submit():
        try:
            created = continuity.follow_up(current_user, task)
        except PermissionDenied as exc:
            return denied(str(exc), task)
        except DomainError as exc:
            error, status = str(exc), 400
        else:
            flash(_("Follow-up draft %(code)s created: edit it and dispatch it.", code=created.code), "success")
            return redirect(url_for("tasks.edit", task_id=created.id))
    return render_template("tasks/action.html", task=task, form=form, action="follow_up",
                           action_name=permissions.ACTION_NAMES["follow_up"], error=error, recheck=mark,
                           recheck_period=period), status
