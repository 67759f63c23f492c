"""Workflow routes: one per lifecycle step, each a form page whose POST calls one service."""
from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services.tasks import notices, progress, reviews, workflow
from . import bp
from .forms import (
    AcceptForm,
    CancelForm,
    CloseoutRequestForm,
    DecisionForm,
    DispatchForm,
    ExtensionRequestForm,
    MilestoneDoneForm,
    MilestoneForm,
    ReportForm,
    UrgeForm,
)
from .routes import load_task, perform

FORM_OPTIONS = {"methods": ["GET", "POST"]}


def versioned(form_class, task):
    """A versioned form carrying the task's current version on first display."""
    return form_class(version=task.version) if request.method == "GET" else form_class()


@bp.route("/<int:task_id>/dispatch", **FORM_OPTIONS)
@login_required
def dispatch(task_id):
    """Dispatch a draft to its lead unit."""
    task = load_task(task_id)
    form = versioned(DispatchForm, task)
    if request.method == "GET":
        form.reply_due_on.data = notices.default_reply_on()
    return perform(task, "dispatch", form,
                   lambda: workflow.dispatch(current_user, task, form.version.data, form.note.data,
                                             form.reply_due_on.data),
                   _("The task was dispatched to %(unit)s.", unit=task.lead_unit.name))


@bp.route("/<int:task_id>/accept", **FORM_OPTIONS)
@login_required
def accept(task_id):
    """签收: the lead unit's head accepts the task and names its owner."""
    task = load_task(task_id)
    form = versioned(AcceptForm, task)
    form.owner.choices = [("", "—")] + [(u.id, f"{u.display_name} ({u.role_label})")
                                         for u in workflow.owner_choices(task)]
    return perform(task, "accept", form,
                   lambda: workflow.accept(current_user, task, form.owner.data, form.version.data, form.note.data),
                   _("You accepted the task."))


@bp.route("/<int:task_id>/report", **FORM_OPTIONS)
@login_required
def report(task_id):
    """Report progress with evidence files."""
    task = load_task(task_id)
    form = ReportForm(percent_done=task.percent_done if current_user.unit_id == task.lead_unit_id else None)
    return perform(task, "report", form,
                   lambda: progress.report_progress(current_user, task, form.body.data,
                                                             form.percent_done.data, form.files.data,
                                                             form.form_token.data),
                   _("Your progress report was saved."), multipart=True)


@bp.route("/<int:task_id>/closeout", **FORM_OPTIONS)
@login_required
def request_closeout(task_id):
    """The lead unit asks for close-out with a summary and evidence."""
    task = load_task(task_id)
    form = versioned(CloseoutRequestForm, task)
    return perform(task, "request_closeout", form,
                   lambda: reviews.request_closeout(current_user, task, form.summary.data,
                                                             form.files.data, form.version.data),
                   _("Close-out was requested; the supervision office will review it."), multipart=True)


@bp.route("/<int:task_id>/closeout/review", **FORM_OPTIONS)
@login_required
def review_closeout(task_id):
    """The supervision office approves or rejects the close-out."""
    task = load_task(task_id)
    form = versioned(DecisionForm, task)
    return perform(task, "review_closeout", form,
                   lambda: reviews.decide_closeout(current_user, task, bool(form.approve.data),
                                                            form.note.data, form.version.data),
                   _("The close-out was approved.") if form.approve.data else _("The close-out was rejected."),
                   pending=task.pending_closeout)


@bp.route("/<int:task_id>/extension", **FORM_OPTIONS)
@login_required
def request_extension(task_id):
    """The lead unit asks for a later deadline."""
    task = load_task(task_id)
    form = versioned(ExtensionRequestForm, task)
    return perform(task, "request_extension", form,
                   lambda: reviews.request_extension(current_user, task, form.requested_deadline_on.data,
                                                              form.reason.data, form.version.data),
                   _("The extension was requested; the supervision office will decide."))


@bp.route("/<int:task_id>/extension/review", **FORM_OPTIONS)
@login_required
def review_extension(task_id):
    """The supervision office approves or rejects the extension."""
    task = load_task(task_id)
    form = versioned(DecisionForm, task)
    return perform(task, "review_extension", form,
                   lambda: reviews.decide_extension(current_user, task, bool(form.approve.data),
                                                             form.note.data, form.version.data),
                   _("The extension was approved.") if form.approve.data else _("The extension was rejected."),
                   pending=task.pending_extension)


@bp.route("/<int:task_id>/cancel", **FORM_OPTIONS)
@login_required
def cancel(task_id):
    """The supervision office cancels the task."""
    task = load_task(task_id)
    form = versioned(CancelForm, task)
    return perform(task, "cancel", form,
                   lambda: workflow.cancel(current_user, task, form.reason.data, form.version.data),
                   _("The task was cancelled."))


@bp.route("/<int:task_id>/urge", **FORM_OPTIONS)
@login_required
def urge(task_id):
    """催办: the supervision office urges the lead unit."""
    task = load_task(task_id)
    form = UrgeForm()
    if request.method == "GET":
        form.reply_due_on.data = notices.default_reply_on()
    return perform(task, "urge", form,
                   lambda: workflow.urge(current_user, task, form.message.data, form.form_token.data,
                                         form.reply_due_on.data),
                   _("%(unit)s was urged.", unit=task.lead_unit.name))


@bp.route("/<int:task_id>/milestones/new", **FORM_OPTIONS)
@login_required
def plan_milestone(task_id):
    """The lead unit plans a milestone."""
    task = load_task(task_id)
    form = MilestoneForm()
    return perform(task, "plan_milestone", form,
                   lambda: progress.plan_milestone(current_user, task, form.title.data, form.due_on.data,
                                                            form.form_token.data),
                   _("The milestone was planned."))


@bp.route("/<int:task_id>/milestones/<int:milestone_id>/done", **FORM_OPTIONS)
@login_required
def complete_milestone(task_id, milestone_id):
    """The lead unit marks a milestone done."""
    task = load_task(task_id)
    milestone = progress.get_milestone(task, milestone_id) or abort(404)
    form = MilestoneDoneForm()
    return perform(task, "complete_milestone", form,
                   lambda: progress.complete_milestone(current_user, task, milestone, form.note.data),
                   _("The milestone was marked done."), milestone=milestone)
