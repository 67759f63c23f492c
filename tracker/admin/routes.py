"""Admin routes for units and users: thin, each calling one service."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..auth.routes import safe_next
from ..jobs_admin.forms import UnitWebhookForm
from ..models.user import ROLES
from ..permissions import can_manage_office_settings, can_manage_units, permission_required
from ..security import page_number
from ..services import DomainError, office_settings
from ..services.accounts import units as unit_service
from ..services.accounts import users as user_service
from . import bp
from .forms import (
    ClearSignInDelayForm,
    ImportUnitsForm,
    OfficeSettingsForm,
    RenameUnitForm,
    ResetPasswordForm,
    UnitForm,
    UserCreateForm,
    UserEditForm,
)

PER_PAGE = 50


def load_or_404(getter, object_id):
    """The object `getter` finds for this id, else 404."""
    found = getter(object_id)
    if found is None:
        abort(404)
    return found


def status_for(form):
    """200 for a first showing, 400 when a submitted form is shown again with its errors."""
    return 400 if form.is_submitted() else 200


def render_units(create_form=None, import_form=None, import_result=None, status=200):
    """The unit list with its create and import forms."""
    pagination, user_counts = unit_service.unit_page(request.args.get("page", 1, type=page_number), PER_PAGE)
    return render_template(
        "admin/units.html", pagination=pagination, user_counts=user_counts, create_form=create_form or UnitForm(),
        import_form=import_form or ImportUnitsForm(), import_result=import_result,
    ), status


@bp.route("/units")
@permission_required(can_manage_units)
def units():
    """List units, with forms to create one and to import a CSV file."""
    return render_units()


@bp.route("/units/new", methods=["POST"])
@permission_required(can_manage_units)
def create_unit():
    """Create a unit from the form on the unit list."""
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit = unit_service.create_unit(current_user, form.name.data, form.kind.data)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_units(create_form=form, status=400)


@bp.route("/units/import", methods=["POST"])
@permission_required(can_manage_units)
def import_units():
    """Import units from an uploaded CSV file, all or nothing."""
    form = ImportUnitsForm()
    if not form.validate_on_submit():
        return render_units(import_form=form, status=400)
    try:
        result = unit_service.import_units_csv(current_user, form.file.data.read())
    except DomainError as error:
        flash(str(error), "danger")
        return render_units(import_form=form, status=400)
    if not result.ok:
        flash(ngettext("Nothing was imported: the file has %(num)d error, listed below.",
                       "Nothing was imported: the file has %(num)d errors, listed below.", len(result.errors)),
              "danger")
        return render_units(import_form=form, import_result=result, status=400)
    flash(_("Import done: created %(created)d, unchanged %(unchanged)d.",
            created=len(result.created), unchanged=len(result.unchanged)), "success")
    return render_units(import_result=result)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@permission_required(can_manage_units)
def edit_unit(unit_id):
    """The unit's own page: its name (saved here) and its group robot (saved by jobs_admin.unit_webhook)."""
    unit = load_or_404(unit_service.get_unit, unit_id)
    form = RenameUnitForm(data={"name": unit.name} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            unit_service.rename_unit(current_user, unit, form.name.data)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("Unit renamed to %(name)s.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_edit.html", unit=unit, form=form,
                           webhook_form=UnitWebhookForm(formdata=None, obj=unit)), status_for(form)


@bp.route("/units/<int:unit_id>/active", methods=["POST"])
@permission_required(can_manage_units)
def set_unit_active(unit_id):
    """Deactivate or reactivate a unit (form field active=1 or 0)."""
    unit = load_or_404(unit_service.get_unit, unit_id)
    unit_service.set_unit_active(current_user, unit, request.form.get("active") == "1")
    done = _("Unit %(name)s reactivated.", name=unit.name) if unit.is_active else \
        _("Unit %(name)s deactivated.", name=unit.name)
    flash(done, "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.units"))


@bp.route("/users")
@permission_required(can_manage_units)
def users():
    """List users, filtered by role, unit or name."""
    filters, ignored = user_service.UserFilters.from_args(request.args)
    if ignored:
        flash(_("Some filters were not understood and were ignored: %(names)s", names=", ".join(ignored)), "warning")
    pagination = user_service.user_page(filters, request.args.get("page", 1, type=page_number), PER_PAGE)
    return render_template("admin/users.html", pagination=pagination, filters=filters, roles=ROLES,
                           units=unit_service.all_units())


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required(can_manage_units)
def create_user():
    """Show and apply the new-user form."""
    form = UserCreateForm()
    form.set_unit_choices(unit_service.unit_choices())
    if form.validate_on_submit():
        try:
            user = user_service.create_user(current_user, **form.service_data())
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), status_for(form)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required(can_manage_units)
def edit_user(user_id):
    """Show and apply the edit form of one user, with the password-reset form beside it."""
    user = load_or_404(user_service.get_user, user_id)
    form = UserEditForm(obj=user)
    form.set_unit_choices(unit_service.unit_choices(keep_unit_id=user.unit_id))
    if form.validate_on_submit():
        try:
            user_service.update_user(current_user, user, **form.service_data())
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_user_page(user, form, ResetPasswordForm(), status_for(form))


def render_user_page(user, form, password_form, status):
    """One user's page: the edit form, the password reset, the sign-in delay and the account status."""
    return render_template("admin/user_form.html", form=form, user=user, password_form=password_form,
                           clear_delay_form=ClearSignInDelayForm(),
                           sign_in_delay=user_service.sign_in_delay(user)), status


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@permission_required(can_manage_units)
def reset_password(user_id):
    """Set a new password for a user, who must change it at next login."""
    user = load_or_404(user_service.get_user, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user_service.reset_password(current_user, user, form.new_password.data)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(_("New password set for %(name)s; they must change it at next login.", name=user.username),
                  "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    edit_form = UserEditForm(obj=user, formdata=None)
    edit_form.set_unit_choices(unit_service.unit_choices(keep_unit_id=user.unit_id))
    return render_user_page(user, edit_form, form, 400)


@bp.route("/users/<int:user_id>/sign-in-delay", methods=["POST"])
@permission_required(can_manage_units)
def clear_sign_in_delay(user_id):
    """Lift the delay a user's wrong passwords put on signing in."""
    user = load_or_404(user_service.get_user, user_id)
    if ClearSignInDelayForm().validate_on_submit():
        user_service.clear_sign_in_delay(current_user, user)
        flash(_("%(name)s may sign in again at once.", name=user.username), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@permission_required(can_manage_units)
def set_user_active(user_id):
    """Deactivate or reactivate a user (form field active=1 or 0)."""
    user = load_or_404(user_service.get_user, user_id)
    try:
        user_service.set_user_active(current_user, user, request.form.get("active") == "1")
    except DomainError as error:
        flash(str(error), "danger")
    else:
        done = _("User %(name)s reactivated.", name=user.username) if user.is_active else \
            _("User %(name)s deactivated.", name=user.username)
        flash(done, "success")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.users"))


@bp.route("/settings", methods=["GET", "POST"])
@permission_required(can_manage_office_settings)
def office_settings_page():
    """The office settings: every value with its default; saving checks them all before keeping any."""
    form = OfficeSettingsForm()
    typed = None
    if form.validate_on_submit():
        typed = {item.key: ("1" if request.form.get(item.key) else "0") if item.kind == "bool"
                 else request.form.get(item.key, "") for item in office_settings.SETTINGS}
        try:
            changed = office_settings.update(current_user, typed)
        except DomainError as error:
            flash(str(error), "danger")
        else:
            flash(ngettext("%(num)d setting changed.", "%(num)d settings changed.", len(changed))
                  if changed else _("Nothing changed."), "success")
            return redirect(url_for("admin.office_settings_page"))
    return render_template("admin/office_settings.html", form=form, groups=office_settings.overview(current_user),
                           typed=typed or {}), 400 if typed is not None else 200
