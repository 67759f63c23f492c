"""Scheduled jobs and the outbox for the office; a unit's group robot for the administrator. Thin routes."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..admin.forms import RenameUnitForm
from ..jobs import overview
from ..jobs import requests as job_requests
from ..permissions import can_manage_jobs, can_manage_units, permission_required
from ..security import page_number
from ..services import DomainError, job_runs
from ..services.accounts import units as unit_service
from ..services.messaging import outbox, webhooks
from . import bp
from .forms import UnitWebhookForm

PER_PAGE = 30


@bp.route("/jobs")
@permission_required(can_manage_jobs)
def index():
    """The jobs with their schedule and last run, the requests, the scheduler's heartbeat, and every run."""
    pagination = job_runs.runs_page(request.args.get("page", 1, type=page_number), PER_PAGE)
    return render_template("admin/jobs.html", pagination=pagination, outbox_counts=outbox.status_counts(),
                           **overview.page(pagination.items))


@bp.route("/jobs/<job_id>/run", methods=["POST"])
@permission_required(can_manage_jobs)
def run_now(job_id):
    """Ask the scheduler to run a job now; with force=1 (and the confirmation ticked) resend this week's alert."""
    force = request.form.get("force") == "1"
    if force and request.form.get("confirm") != "1":
        flash(_("Tick the box to confirm that this week's alert should be sent again."), "warning")
        return redirect(url_for("jobs_admin.index"))
    try:
        _job_request, is_new = job_requests.request_run(current_user, job_id, force=force,
                                                        resend_key=request.form.get("resend_key"))
    except DomainError as error:
        flash(str(error), "danger")
    else:
        flash(requested_message(is_new), "success" if is_new else "info")
    return redirect(url_for("jobs_admin.index"))


def requested_message(is_new):
    """What the office is told after asking: when it will happen, or that nothing runs it."""
    if not is_new:
        return _("This was already asked for and has not finished yet; it is done once.")
    if not job_requests.scheduler_status()[1]:
        return _("Recorded. No scheduler is running: the request waits until one starts.")
    return _("Recorded. The scheduler runs it within a few seconds; this page shows its progress.")


@bp.route("/jobs/outbox")
@permission_required(can_manage_jobs)
def outbox_list():
    """The outbox, optionally one status, newest first."""
    status = request.args.get("status") if request.args.get("status") in outbox.STATUSES else None
    pagination = outbox.outbox_page(status, request.args.get("page", 1, type=page_number), PER_PAGE)
    return render_template("admin/jobs_outbox.html", pagination=pagination, status=status,
                           counts=outbox.status_counts(), mask_url=webhooks.mask_url,
                           shown_error=lambda message: outbox.error_shown_to(current_user, message))


@bp.route("/jobs/outbox/<int:message_id>/retry", methods=["POST"])
@permission_required(can_manage_jobs)
def retry(message_id):
    """Put one message back in line and try to send it now."""
    try:
        outbox.retry(current_user, message_id)
    except DomainError as error:
        flash(str(error), "danger")
    else:
        flash(requested_message(job_requests.request_run(current_user, "outbox")[1]), "success")
    return redirect(url_for("jobs_admin.outbox_list", status=request.form.get("status") or None))


@bp.route("/jobs/outbox/retry-failed", methods=["POST"])
@permission_required(can_manage_jobs)
def retry_failed():
    """Put every failed message back in line and try to send them now."""
    count = outbox.retry_all_failed(current_user)
    flash(ngettext("%(num)d message back in line.", "%(num)d messages back in line.", count), "success")
    flash(requested_message(job_requests.request_run(current_user, "outbox")[1]), "info")
    return redirect(url_for("jobs_admin.outbox_list"))


@bp.route("/units/<int:unit_id>/webhook", methods=["POST"])
@permission_required(can_manage_units)
def unit_webhook(unit_id):
    """Save or remove a unit's group robot; a malformed address is refused and shown again."""
    unit = unit_service.get_unit(unit_id) or abort(404)
    form = UnitWebhookForm()
    if form.validate_on_submit():
        try:
            webhooks.set_unit_webhook(current_user, unit, form.webhook_kind.data, form.webhook_url.data,
                                      form.webhook_secret.data)
        except webhooks.WebhookError as error:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        else:
            flash(_("Group robot of %(name)s saved.", name=unit.name) if unit.webhook_url else
                  _("Group robot of %(name)s removed.", name=unit.name), "success")
            return redirect(url_for("admin.edit_unit", unit_id=unit.id))
    return render_template("admin/unit_edit.html", unit=unit, form=RenameUnitForm(data={"name": unit.name}),
                           webhook_form=form), 400
