"""Corrections after dispatch, returns (申请调整), the office's milestones: form pages whose POST calls a service."""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..permissions import can_view_returns, permission_required
from ..services.tasks import corrections, drafts, milestone_plans, progress, returns
from . import bp
from .actions import FORM_OPTIONS, versioned
from .forms import CorrectionForm, MilestoneChangeForm, MilestoneForm, ReturnDecisionForm, ReturnForm
from .routes import form_data, load_task, perform


@bp.route("/<int:task_id>/correct", **FORM_OPTIONS)
@login_required
def correct(task_id):
    """调整: the office corrects a dispatched task (deadline, units, leader, level, texts)."""
    task = load_task(task_id)
    form = CorrectionForm(obj=form_data(task)) if request.method == "GET" else CorrectionForm()
    form.set_choices(*drafts.form_choices())
    return perform(task, "correct", form,
                   lambda: corrections.correct(current_user, task, correction_from_form(form), form.reason.data,
                                               form.version.data),
                   _("The correction was saved and the units concerned were told."))


@bp.route("/<int:task_id>/return", **FORM_OPTIONS)
@login_required
def return_task(task_id):
    """申请调整: the lead unit's head returns a task before accepting it."""
    task = load_task(task_id)
    form = versioned(ReturnForm, task)
    return perform(task, "return_task", form,
                   lambda: returns.return_task(current_user, task, form.reason.data, form.version.data),
                   _("The task was returned; the supervision office will reassign it or answer."))


@bp.route("/<int:task_id>/return/answer", **FORM_OPTIONS)
@login_required
def decide_return(task_id):
    """The office reassigns a returned task to another unit, or insists."""
    task = load_task(task_id)
    form = versioned(ReturnDecisionForm, task)
    units, _leaders = drafts.form_choices()
    form.new_lead_unit.choices = [("", "—")] + [(u.id, u.name) for u in units if u.id != task.lead_unit_id]
    if form.reassign.data:
        call = lambda: returns.reassign(current_user, task, form.new_lead_unit.data, form.note.data,  # noqa: E731
                                        form.version.data)
        done = _("The task was reassigned; the new lead unit has it to accept.")
    else:
        call = lambda: returns.insist(current_user, task, form.note.data, form.version.data)  # noqa: E731
        done = _("The task was sent back to %(unit)s to accept.", unit=task.lead_unit.name)
    return perform(task, "decide_return", form, call, done, task_return=returns.pending_return(task))


@bp.route("/<int:task_id>/milestones/add", **FORM_OPTIONS)
@login_required
def add_milestone(task_id):
    """The office adds a milestone at any open stage."""
    task = load_task(task_id)
    form = MilestoneForm()
    return perform(task, "add_milestone", form,
                   lambda: milestone_plans.add(current_user, task, form.title.data, form.due_on.data,
                                               form.form_token.data),
                   _("The milestone was added."))


@bp.route("/<int:task_id>/milestones/<int:milestone_id>/change", **FORM_OPTIONS)
@login_required
def change_milestone(task_id, milestone_id):
    """The office moves, renames or deletes an open milestone."""
    task = load_task(task_id)
    milestone = progress.get_milestone(task, milestone_id) or abort(404)
    form = MilestoneChangeForm(obj=milestone) if request.method == "GET" else MilestoneChangeForm()
    if form.delete.data:
        call, done = lambda: milestone_plans.remove(current_user, task, milestone), _("The milestone was deleted.")
    else:
        call = lambda: milestone_plans.move(current_user, task, milestone, form.title.data,  # noqa: E731
                                            form.due_on.data)
        done = _("The milestone was changed.")
    return perform(task, "change_milestone", form, call, done, milestone=milestone)


def correction_from_form(form):
    """The task's new values as the correction form gives them (its source and period stay as they are)."""
    return drafts.TaskDraft(
        title=form.title.data, lead_unit_id=form.lead_unit.data, deadline_on=form.deadline_on.data,
        problem=form.problem.data, measures=form.measures.data, co_unit_ids=form.co_units.data or [],
        responsible_leader_id=form.responsible_leader.data, supervision_level=form.supervision_level.data,
    )


@bp.route("/returns")
@permission_required(can_view_returns)
def returns_overview():
    """The returns (申请调整) per unit and the latest ones, for the office."""
    return render_template("tasks/returns.html", units=returns.by_unit(), recent=returns.recent())
