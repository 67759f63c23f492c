"""Task routes: the list, the task page, new and edited drafts, and evidence downloads."""
from dataclasses import replace
from types import SimpleNamespace

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import permissions
from ..security import page_number
from ..services import ConflictError, DomainError, PermissionDenied
from ..services.indicators import continuity
from ..services.tasks import action_views, attachments, drafts, lights, milestone_plans, notices, queries, timeline
from ..services.tasks.workflow import DuplicateSubmission
from . import bp
from .forms import TaskForm


def load_task(task_id):
    """The task if the current user may see it; 404 when missing, 403 when hidden."""
    try:
        task = queries.get_task(current_user, task_id)
    except PermissionDenied:
        abort(403)
    if task is None:
        abort(404)
    return task


def denied(message, task=None):
    """The 403 page, saying why the action is not allowed."""
    return render_template("tasks/denied.html", message=message, task=task), 403


def perform(task, action, form, call, done, template="tasks/action.html", **context):
    """Show an action's form; on a valid POST run the service `call`, then go back to the task page.

    A refused action gets 403 with the reason, a stale form 409, bad input 400 with
    the form as it was filled in; the service has rolled everything back.
    """
    denial = permissions.role_denial(current_user, action, task)
    if denial is None and request.method == "GET":
        denial = permissions.state_denial(action, task)  # on POST the service says it, after the version check
    if denial:
        return denied(str(denial), task)
    error, status = None, (400 if form.is_submitted() else 200)
    if form.validate_on_submit():
        try:
            call()
        except PermissionDenied as exc:
            return denied(str(exc), task)
        except DuplicateSubmission as exc:
            flash(str(exc), "info")
            return redirect(url_for("tasks.detail", task_id=task.id))
        except ConflictError as exc:
            error, status = str(exc), 409
        except DomainError as exc:
            error = str(exc)
        else:
            flash(done, "success")
            return redirect(url_for("tasks.detail", task_id=task.id))
    return render_template(template, task=task, form=form, action=action, action_name=permissions.ACTION_NAMES[action],
                           error=error, **context), status


@bp.route("/")
@login_required
def index():
    """The task list: filtered, searchable, paginated, limited to what the user may see."""
    filters, ignored = queries.TaskFilters.from_args(request.args)
    if ignored:
        flash(_("Some filters were not understood and were ignored: %(names)s", names=", ".join(ignored)), "warning")
    page = request.args.get("page", 1, type=page_number)
    pagination = queries.task_page(current_user, filters, page, current_app.config["TASKS_PER_PAGE"])
    return render_template(
        "tasks/index.html", pagination=pagination, states=lights.states_for(pagination.items), filters=filters,
        choices=queries.filter_choices(current_user), views=action_views.mine_views(current_user),
        view_counts=action_views.mine_counts(current_user),
    )


@bp.route("/<int:task_id>")
@login_required
def detail(task_id):
    """Everything about one task on one screen, with the actions the user may take."""
    try:
        task = queries.get_task(current_user, task_id)
    except PermissionDenied:
        # A unit the office took the task from still reads its own reports.
        former = queries.former_unit_reports(current_user, task_id) or abort(403)
        return render_template("tasks/former.html", task=former[0], reports=former[1])
    if task is None:
        abort(404)
    recheck, recheck_period = continuity.latest_recheck(task)
    printable = notices.notices_of(task) if permissions.can_print_notices(current_user, task) else []
    return render_template("tasks/detail.html", task=task, page=timeline.task_page(task), recheck=recheck,
                           recheck_period=recheck_period, notices=printable)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """A supervisor writes a new task as a draft."""
    if not permissions.can_create_tasks(current_user):
        return denied(_("Only the supervision office may create tasks."))
    form = TaskForm()
    form.set_choices(*drafts.form_choices(), drafts.indicator_choices())
    error = None
    if form.validate_on_submit():
        try:
            draft = replace(draft_from_form(form), milestones=milestone_plan(form))
            task = drafts.create_draft(current_user, draft, form.form_token.data or "")
        except DuplicateSubmission as exc:
            flash(str(exc), "info")
            return redirect(url_for("tasks.index", status="draft"))
        except DomainError as exc:
            error = str(exc)
        else:
            flash(_("Draft %(code)s saved. Dispatch it when it is ready.", code=task.code), "success")
            return redirect(url_for("tasks.detail", task_id=task.id))
    status = 400 if form.is_submitted() else 200
    return render_template("tasks/edit.html", form=form, task=None, error=error), status


@bp.route("/<int:task_id>/edit", methods=["GET", "POST"])
@login_required
def edit(task_id):
    """A supervisor edits a draft."""
    task = load_task(task_id)
    form = TaskForm(obj=None if request.method == "POST" else form_data(task))
    form.set_choices(*drafts.form_choices(), drafts.indicator_choices(task.indicator_result_id))
    # What the form does not show stays as the draft has it (the follow-up link).
    return perform(task, "edit", form,
                   lambda: drafts.update_draft(current_user, task, replace(
                       draft_from_form(form), follow_up_of_id=task.follow_up_of_id), form.version.data),
                   _("The draft was saved."), template="tasks/edit.html")


def draft_from_form(form):
    """The TaskDraft the form describes."""
    return drafts.TaskDraft(
        title=form.title.data, lead_unit_id=form.lead_unit.data, deadline_on=form.deadline_on.data,
        problem=form.problem.data, measures=form.measures.data, source=form.source.data,
        source_detail=form.source_detail.data, co_unit_ids=form.co_units.data or [],
        responsible_leader_id=form.responsible_leader.data, supervision_level=form.supervision_level.data,
        indicator_result_id=form.indicator_result.data, period_id=drafts.result_period_id(form.indicator_result.data),
        duplicate_reason=form.duplicate_reason.data,
    )


def milestone_plan(form):
    """The milestones typed on the new-task form (DomainError on a bad line)."""
    return milestone_plans.parse_plan(form.milestones.data)


def form_data(task):
    """An object the edit form reads its initial values from, named as TaskForm names them."""
    draft = drafts.draft_from_task(task)
    return SimpleNamespace(
        title=draft.title, problem=draft.problem, measures=draft.measures, source=draft.source,
        source_detail=draft.source_detail, deadline_on=draft.deadline_on,
        supervision_level=draft.supervision_level, lead_unit=draft.lead_unit_id, co_units=draft.co_unit_ids,
        responsible_leader=draft.responsible_leader_id, version=task.version,
        indicator_result=draft.indicator_result_id, duplicate_reason=draft.duplicate_reason,
    )


# An evidence file shown by the browser is someone's upload: it runs no script, loads nothing, and is
# never read as another type (a PDF viewer and an image need no more than this).
INLINE_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def send_evidence(attachment_id, inline):
    """Send an evidence file to a user who may see its task, never from static/; inline only for images and PDFs."""
    try:
        attachment, path = attachments.get_for_download(current_user, attachment_id)
    except PermissionDenied:
        abort(403)
    if attachment is None or path is None:
        abort(404)
    inline = inline and attachment.opens_inline
    response = send_file(path, mimetype=attachment.content_type, as_attachment=not inline,
                         download_name=attachment.original_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    if inline:
        response.headers["Content-Security-Policy"] = INLINE_POLICY
    return response


@bp.route("/files/<int:attachment_id>")
@login_required
def download(attachment_id):
    """Download an evidence file (attachment)."""
    return send_evidence(attachment_id, inline=False)


@bp.route("/files/<int:attachment_id>/view")
@login_required
def view_file(attachment_id):
    """Open an image or a PDF in the browser, sandboxed; other types are downloaded."""
    return send_evidence(attachment_id, inline=True)
