"""Import routes: upload → preview (what will be created, updated, and every error) → confirm.

The uploaded file waits on the server (upload_staging) between the preview and
the confirmation, which checks it again; nothing parsed goes through the browser.
"""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..permissions import can_manage_assessments, permission_required
from ..services import DomainError
from ..services.indicators import results_import
from ..services.tasks import sheet_import
from . import bp
from .forms import ConfirmImportForm, ConfirmTaskImportForm, TaskUploadForm, UploadForm
from .routes import load_period


@bp.route("/periods/<int:period_id>/import", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def import_results(period_id):
    """Upload a results sheet; a readable one goes on to its preview."""
    period = load_period(period_id)
    form, error = UploadForm(target_basis=period.target_basis), None
    if form.validate_on_submit():
        try:
            token = results_import.stage_upload(current_user, period, form.file.data.filename or "",
                                                form.file.data.read(), form.target_basis.data)
        except DomainError as exc:
            error = str(exc)
        else:
            return redirect(url_for("indicators.import_preview", period_id=period.id, token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("indicators/import.html", period=period, form=form, error=error), status


@bp.route("/periods/<int:period_id>/import/<token>", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def import_preview(period_id, token):
    """The preview of a staged results sheet; confirming it imports the file, all or nothing."""
    period = load_period(period_id)
    form, error, status = ConfirmImportForm(), None, 200
    try:
        if form.validate_on_submit():
            plan = results_import.confirm_upload(current_user, period, token, form.create_units.data)
            flash(_("Imported %(rows)d results into %(period)s.", rows=len(plan.rows), period=period.name), "success")
            return redirect(url_for("indicators.board", period_id=period.id, show="weak"))
        plan = results_import.preview_upload(current_user, period, token)
    except results_import.ImportRejected as rejected:
        plan, error, status = rejected.plan, str(rejected), 400
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("indicators.import_results", period_id=period.id))
    return render_template("indicators/import_preview.html", period=period, plan=plan, form=form, error=error,
                           token=token), status


@bp.route("/task-import", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def import_tasks():
    """Upload a sheet of tasks from other sources; a readable one goes on to its preview."""
    form, error = TaskUploadForm(), None
    if form.validate_on_submit():
        try:
            token = sheet_import.stage_upload(current_user, form.file.data.filename or "", form.file.data.read(),
                                             form.default_source.data)
        except DomainError as exc:
            error = str(exc)
        else:
            return redirect(url_for("indicators.task_import_preview", token=token))
    status = 400 if form.is_submitted() else 200
    return render_template("indicators/task_import.html", form=form, error=error), status


@bp.route("/task-import/<token>", methods=["GET", "POST"])
@permission_required(can_manage_assessments)
def task_import_preview(token):
    """The preview of a staged task sheet; confirming creates every new row as a task, all or nothing."""
    form, error, status = ConfirmTaskImportForm(), None, 200
    try:
        if form.validate_on_submit():
            plan, created = sheet_import.confirm_upload(current_user, token, dispatch=form.dispatch.data)
            flash(ngettext("%(num)d task created.", "%(num)d tasks created.", len(created)), "success")
            return redirect(url_for("tasks.index", status="assigned" if form.dispatch.data else "draft"))
        plan = sheet_import.preview_upload(current_user, token)
    except sheet_import.TaskImportRejected as rejected:
        plan, error, status = rejected.plan, str(rejected), 400
    except DomainError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("indicators.import_tasks"))
    return render_template("indicators/task_import_preview.html", plan=plan, form=form, error=error,
                           token=token), status
