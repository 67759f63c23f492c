"""From weak indicators to tasks: the prefilled drafts of the selected indicators, edited, created in bulk."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..models.types import db_int
from ..permissions import can_manage_assessments, permission_required
from ..services import DomainError
from ..services.indicators import task_drafts, weakness
from ..services.tasks import drafts
from . import bp
from .forms import GenerateForm
from .routes import load_period


@bp.route("/periods/<int:period_id>/generate")
@permission_required(can_manage_assessments)
def generate(period_id):
    """Drafts prefilled from the weak indicators ticked on the board (?result=<id>&result=<id>…)."""
    period = load_period(period_id)
    try:
        proposals = task_drafts.propose(current_user, period, request.args.getlist("result", type=db_int))
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("indicators.board", period_id=period.id))
    if not proposals:
        flash(_("Select at least one weak indicator on the board."), "warning")
        return redirect(url_for("indicators.board", period_id=period.id, show="weak"))
    form = GenerateForm(data={"drafts": [form_data(p) for p in proposals if p.draft is not None]})
    return render_generate(period, form, skipped=[p for p in proposals if p.draft is None])


@bp.route("/periods/<int:period_id>/generate", methods=["POST"])
@permission_required(can_manage_assessments)
def create_generated(period_id):
    """Create the ticked drafts (dispatched, or kept as drafts) in one transaction; all or nothing."""
    period = load_period(period_id)
    form = GenerateForm()
    form.set_choices(*drafts.form_choices())
    row_errors, error = {}, None
    if form.validate_on_submit():
        positions, inputs = inputs_from(form)
        try:
            outcome = task_drafts.create_tasks(current_user, period, inputs, dispatch=form.dispatch.data)
        except task_drafts.BatchRejected as rejected:
            error, row_errors = str(rejected), {positions[i]: message for i, message in rejected.errors.items()}
        except DomainError as exc:
            error = str(exc)
        else:
            flash_outcome(outcome, form.dispatch.data)
            return redirect(url_for("indicators.board", period_id=period.id, show="weak"))
    return render_generate(period, form, error=error, row_errors=row_errors, status=400)


def flash_outcome(outcome, dispatched):
    """Say what the batch did: tasks created, existing tasks linked."""
    if outcome.created:
        flash(ngettext("%(num)d task created.", "%(num)d tasks created.", len(outcome.created)) + " " +
              (_("They were dispatched to their lead units.") if dispatched else _("They are drafts.")), "success")
    if outcome.linked:
        flash(_("Linked to this period instead of a second task: %(codes)s. Revise their deadline and measures "
                "on each task if needed.", codes="、".join(task.code for task in outcome.linked)), "success")


def render_generate(period, form, skipped=(), error=None, row_errors=None, status=200):
    """The generate page: one editable draft per selected indicator, with what it comes from.

    A draft whose indicator already has an open task with the same lead unit (carried from an
    earlier period) offers to link this period's result to it instead; a second task needs a reason.
    """
    form.set_choices(*drafts.form_choices())
    assessments = {item.result.id: item for item in weakness.evaluate_period(period)}
    carried = {}
    for entry in form.drafts:
        row = entry.form
        result_id, lead = _int(row.result_id.data), row.lead_unit.data
        tasks = drafts.open_duplicates(result_id, lead) if result_id and lead else []
        carried[result_id] = tasks
        row.link_task.choices = [(task.id, task.code) for task in tasks] + [("", _("Create a second task"))]
    return render_template("indicators/generate.html", period=period, form=form, skipped=skipped, error=error,
                           row_errors=row_errors or {}, assessments=assessments, carried=carried), status


def form_data(proposal):
    """The form values of one proposed draft."""
    draft = proposal.draft
    return {
        "result_id": proposal.result.id, "include": True, "title": draft.title, "problem": draft.problem,
        "measures": draft.measures, "lead_unit": draft.lead_unit_id, "co_units": draft.co_unit_ids,
        "responsible_leader": draft.responsible_leader_id, "deadline_on": draft.deadline_on,
        "supervision_level": draft.supervision_level,
        "link_task": proposal.carried[0].id if proposal.carried else None,
    }


def inputs_from(form):
    """(form positions, DraftInputs) of the ticked drafts; a position per input, to put errors back."""
    positions, inputs = [], []
    for position, entry in enumerate(form.drafts):
        row = entry.form
        if not row.include.data:
            continue
        positions.append(position)
        inputs.append(task_drafts.DraftInput(result_id=_int(row.result_id.data), draft=drafts.TaskDraft(
            title=row.title.data, problem=row.problem.data, measures=row.measures.data,
            lead_unit_id=row.lead_unit.data, co_unit_ids=row.co_units.data or [],
            responsible_leader_id=row.responsible_leader.data, deadline_on=row.deadline_on.data,
            supervision_level=row.supervision_level.data, source="indicator",
            duplicate_reason=row.duplicate_reason.data), link_task_id=row.link_task.data or None,
            milestone_text=row.milestones.data))
    return positions, inputs


def _int(value):
    """An id from a hidden field (0 when it is not a number, which no result has)."""
    try:
        return db_int(value)
    except (TypeError, ValueError):
        return 0
