"""The task's 督办/催办通知单 as PDF or Word, for the office and the task's units."""
import io

from flask import abort, flash, redirect, send_file, url_for
from flask_login import current_user, login_required

from ..services import PermissionDenied
from ..services.documents import pdf
from ..services.tasks import notice_documents, notices
from . import bp
from .routes import load_task

FORMATS = "<any(pdf, docx):fmt>"


@bp.route(f"/<int:task_id>/notice.{FORMATS}")
@login_required
def current_notice(task_id, fmt):
    """The 督办通知单 in force: the one of the task's latest (re)dispatch."""
    task = load_task(task_id)
    return _send(task, notices.latest(task, "dispatch"), fmt)


@bp.route(f"/<int:task_id>/notices/<int:notice_id>.{FORMATS}")
@login_required
def notice(task_id, notice_id, fmt):
    """One notice of the task (an earlier 督办通知单, or a 催办通知单)."""
    task = load_task(task_id)
    return _send(task, notices.get_notice(task, notice_id), fmt)


def _send(task, notice, fmt):
    """The rendered notice as a download; 404 without one, 403 when not the user's, a message when refused."""
    if notice is None:
        abort(404)
    try:
        data, mimetype, name = notice_documents.printed(current_user, notice, fmt)
    except PermissionDenied:
        abort(403)
    except (notice_documents.NoticeRefused, pdf.FontError) as error:
        flash(str(error), "danger")
        return redirect(url_for("tasks.detail", task_id=task.id))
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=fmt == "docx", download_name=name,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # the task's text changes; never for proxies
    return response
