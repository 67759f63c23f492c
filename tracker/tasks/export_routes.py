"""The ledger (整改台账) of the task list under its current filters: an .xlsx download and a print view."""
import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ..services import DomainError
from ..services.tasks import ledger, queries
from . import bp

PRINT_MAX_ROWS = 1000  # a longer printout helps nobody; the page says so and the .xlsx has every row


@bp.route("/export.xlsx")
@login_required
def export_xlsx():
    """The tasks the list shows under the same filters, as an .xlsx ledger (filters that did not parse noted in it)."""
    filters, ignored = queries.TaskFilters.from_args(request.args)
    try:
        book = ledger.build(current_user, filters, ignored, max_rows=ledger.EXPORT_MAX_ROWS)
    except DomainError as error:
        flash(str(error), "warning")
        return redirect(url_for("tasks.index", **request.args))
    response = send_file(io.BytesIO(ledger.workbook_bytes(book)), mimetype=ledger.XLSX_MIMETYPE, as_attachment=True,
                         download_name=ledger.file_name(book), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/print")
@login_required
def print_ledger():
    """The same ledger as a clean page to print on A4 landscape."""
    filters, ignored = queries.TaskFilters.from_args(request.args)
    book = ledger.build(current_user, filters, ignored, limit=PRINT_MAX_ROWS)
    return render_template("tasks/print.html", ledger=book, groups=ledger.PRINT_GROUPS)
