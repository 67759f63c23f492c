"""Bulletin pages: the list with the generate form, one bulletin (preview, 下步要求, issue), its PDF."""
from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..permissions import can_manage_bulletins, can_view_bulletins, permission_required
from ..services import DomainError, PermissionDenied
from ..services.bulletins import lifecycle, signed, voiding
from ..services.documents import pdf
from . import bp
from .forms import GenerateForm, IssueForm, RequirementsForm, SignedForm, VoidForm

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def load_bulletin(bulletin_id):
    """The bulletin if the current user may see it; 404 when missing, 403 when hidden."""
    try:
        bulletin = lifecycle.get_for(current_user, bulletin_id)
    except PermissionDenied:
        abort(403)
    if bulletin is None:
        abort(404)
    return bulletin


def run(call, done):
    """Run a generate/issue service; flash its outcome; the bulletin, or None after a refusal."""
    try:
        bulletin = call()
    except (DomainError, pdf.FontError) as error:
        flash(str(error), "danger")
        return None
    flash(done, "success")
    return bulletin


def form_errors(form):
    """Flash the first error of each invalid field."""
    for field_name, errors in form.errors.items():
        flash(f"{getattr(form, field_name).label.text}: {errors[0]}", "danger")


@bp.route("/")
@permission_required(can_view_bulletins)
def index():
    """Every bulletin the user may see; the office also gets the form to generate a month's draft."""
    form = GenerateForm(month=lifecycle.default_month()) if can_manage_bulletins(current_user) else None
    return render_template("bulletins/index.html", items=lifecycle.list_for(current_user), form=form)


@bp.route("/generate", methods=["POST"])
@permission_required(can_manage_bulletins)
def generate():
    """Generate (or re-generate) the draft of the month in the form."""
    form = GenerateForm()
    if not form.validate_on_submit():
        form_errors(form)
        return redirect(url_for("bulletins.index"))
    bulletin = run(lambda: lifecycle.generate_draft(current_user, form.month.data, form.requirements.data or None),
                   _("The draft bulletin has been generated."))
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id) if bulletin else url_for("bulletins.index"))


@bp.route("/<int:bulletin_id>")
@permission_required(can_view_bulletins)
def detail(bulletin_id):
    """One bulletin: its record, the PDF preview and, for a draft, the 下步要求 and the issue form."""
    bulletin = load_bulletin(bulletin_id)
    return render_template("bulletins/detail.html", bulletin=bulletin, issue_form=IssueForm(), void_form=VoidForm(),
                           signed_form=SignedForm(),
                           requirements_form=RequirementsForm(requirements=bulletin.requirements_text),
                           correction=voiding.correction_of(bulletin) if bulletin.is_voided else None)


@bp.route("/<int:bulletin_id>/regenerate", methods=["POST"])
@permission_required(can_manage_bulletins)
def regenerate(bulletin_id):
    """Save the 下步要求 and generate the draft again."""
    bulletin = load_bulletin(bulletin_id)
    form = RequirementsForm()
    if form.validate_on_submit():
        run(lambda: lifecycle.generate_draft(current_user, bulletin.month, form.requirements.data or ""),
            _("The draft bulletin has been generated again."))
    else:
        form_errors(form)
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/<int:bulletin_id>/issue", methods=["POST"])
@permission_required(can_manage_bulletins)
def issue(bulletin_id):
    """定稿: freeze the bulletin once the supervisor confirms."""
    bulletin = load_bulletin(bulletin_id)
    form = IssueForm()
    if form.validate_on_submit() and form.confirm.data:
        run(lambda: lifecycle.issue(current_user, bulletin), _("The bulletin has been issued."))
    else:
        flash(_("Tick the box to confirm that you checked the draft before issuing it."), "warning")
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/<int:bulletin_id>/void", methods=["POST"])
@permission_required(can_manage_bulletins)
def void(bulletin_id):
    """作废: void an issued bulletin with the reason given."""
    bulletin = load_bulletin(bulletin_id)
    form = VoidForm()
    if form.validate_on_submit():
        run(lambda: voiding.void(current_user, bulletin, form.reason.data),
            _("The bulletin has been voided; the leaders have been told."))
    else:
        form_errors(form)
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/<int:bulletin_id>/signed", methods=["POST"])
@permission_required(can_manage_bulletins)
def attach_signed(bulletin_id):
    """Attach the signed final PDF to an issued bulletin."""
    bulletin = load_bulletin(bulletin_id)
    form = SignedForm()
    if form.validate_on_submit():
        run(lambda: signed.attach(current_user, bulletin, form.file.data.read()),
            _("The signed final PDF has been attached."))
    else:
        form_errors(form)
    return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))


@bp.route("/<int:bulletin_id>/signed.pdf")
@permission_required(can_view_bulletins)
def signed_file(bulletin_id):
    """The signed final PDF, as a download."""
    return send_stored(load_bulletin(bulletin_id), "signed", "application/pdf", True)


def send_stored(bulletin, kind, mimetype, as_attachment):
    """Serve the bulletin's PDF or .docx, or go back to its page with the reason it cannot be."""
    try:
        path, name = lifecycle.file_for(current_user, bulletin, kind)
    except DomainError as error:
        flash(str(error), "danger")
        return redirect(url_for("bulletins.detail", bulletin_id=bulletin.id))
    response = send_file(path, mimetype=mimetype, as_attachment=as_attachment, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"  # a draft changes; a bulletin is not for proxies
    return response


@bp.route("/<int:bulletin_id>/pdf")
@permission_required(can_view_bulletins)
def pdf_file(bulletin_id):
    """The PDF: inline to read and print in the browser, or as a download with ?download=1."""
    return send_stored(load_bulletin(bulletin_id), "pdf", "application/pdf", request.args.get("download") == "1")


@bp.route("/<int:bulletin_id>/docx")
@permission_required(can_view_bulletins)
def docx_file(bulletin_id):
    """The .docx for WPS and Word: a draft's written from today's figures, an issue's as stored."""
    return send_stored(load_bulletin(bulletin_id), "docx", DOCX_TYPE, True)
