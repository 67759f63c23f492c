"""Inbox routes: the paginated list, open one message, mark all read."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..auth.routes import safe_next
from ..security import page_number
from ..services import PermissionDenied
from ..services.messaging import notifications
from . import bp


@bp.route("/")
@login_required
def index():
    """The user's messages, newest first, unread ones marked."""
    unread_only = request.args.get("unread") == "1"
    page = request.args.get("page", 1, type=page_number)
    pagination = notifications.inbox_page(current_user, page, current_app.config["TASKS_PER_PAGE"], unread_only)
    return render_template("inbox/index.html", pagination=pagination, unread_only=unread_only)


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id):
    """Mark one message read, then open its task (or go back to the inbox)."""
    try:
        note = notifications.mark_read(current_user, notification_id)
    except PermissionDenied:
        abort(404)  # someone else's message: do not even say it exists
    if request.form.get("open") and note.task_id:
        return redirect(url_for("tasks.detail", task_id=note.task_id))
    if request.form.get("open") and safe_next(note.link):  # e.g. a weekly alert's filtered task list
        return redirect(safe_next(note.link))
    return redirect(url_for("inbox.index", page=request.form.get("page", 1, type=page_number)))


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    """Mark every message read."""
    count = notifications.mark_all_read(current_user)
    flash(ngettext("%(num)d message marked read.", "%(num)d messages marked read.", count), "success")
    return redirect(url_for("inbox.index"))
