"""Workflow routes: one per lifecycle step, each a form page whose POST calls one service."""
from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..services.tasks import closeouts, notices, progress, reviews, workflow
from . import bp
from .forms import (
    AcceptForm,
    CancelForm,
    DecisionForm,
    DispatchForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    MilestoneDoneForm,
    MilestoneForm,
    ReportForm,
    UrgeForm,
    closeout_form,
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
    """The lead unit asks for close-out: its results, its own evidence, an answer for each open item."""
    task = load_task(task_id)
    facts = closeouts.form_facts(task)
    values = {"version": task.version, "percent_done": task.percent_done} if request.method == "GET" else {}
    form = closeout_form(facts.open_milestones, facts.pending_extension is not None, **values)
    return perform(task, "request_closeout", form,
                   lambda: closeouts.request_closeout(current_user, task, closeout_input(form, facts),
                                                      form.version.data),
                   _("Close-out was requested; the supervision office will review it."),
                   template="tasks/closeout_request.html", multipart=True, facts=facts)


def closeout_input(form, facts):
    """The CloseoutInput the close-out form describes."""
    answers = {}
    for milestone in facts.open_milestones:
        choice, note = form.milestone_fields(milestone)
        answers[milestone.id] = closeouts.MilestoneAnswer({"done": True, "open": False}.get(choice.data), note.data)
    return closeouts.CloseoutInput(
        statement=form.summary.data, percent_done=form.percent_done.data, percent_reason=form.percent_reason.data,
        milestones=answers, extension_choice=form.extension_choice.data if "extension_choice" in form else None,
        files=form.files.data)


@bp.route("/<int:task_id>/closeout/review", **FORM_OPTIONS)
@login_required
def review_closeout(task_id):
    """The supervision office reviews the close-out, seeing the whole task above its decision."""
    task = load_task(task_id)
    form = versioned(DecisionForm, task)
    summary = closeouts.review_summary(task) if task.pending_closeout is not None else None
    return perform(task, "review_closeout", form,
                   lambda: reviews.decide_closeout(current_user, task, bool(form.approve.data),
                                                            form.note.data, form.version.data),
                   _("The close-out was approved.") if form.approve.data else _("The close-out was rejected."),
                   template="tasks/closeout_review.html", pending=task.pending_closeout, summary=summary)


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
    """The supervision office approves the extension, to the date asked or an earlier one, or rejects it."""
    task = load_task(task_id)
    pending = task.pending_extension
    asked = pending.requested_deadline_on if pending is not None else None
    form = ExtensionDecisionForm(version=task.version, granted_on=asked) if request.method == "GET" else \
        ExtensionDecisionForm()
    return perform(task, "review_extension", form,
                   lambda: reviews.decide_extension(current_user, task, bool(form.approve.data), form.note.data,
                                                    form.version.data, form.granted_on.data),
                   _("The extension was approved.") if form.approve.data else _("The extension was rejected."),
                   pending=pending)


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
