"""Forms for the unit and user administration pages.

Lengths mirror the model columns so a mistake shows next to its field; the
services check the same rules again for the CLI.
"""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from ..models.unit import UNIT_KINDS
from ..models.user import ROLES
from ..services.accounts.users import EDITABLE


def optional_int(value):
    """Coerce a select value to an int, with the empty choice meaning None."""
    return int(value) if value not in (None, "", "None") else None


class UnitForm(FlaskForm):
    """A new unit: name and type."""

    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Unit type"), choices=list(UNIT_KINDS.items()))
    submit = SubmitField(_l("Create unit"))


class RenameUnitForm(FlaskForm):
    """A unit's new name."""

    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=100)])
    submit = SubmitField(_l("Rename"))


class ImportUnitsForm(FlaskForm):
    """A CSV file of units."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file to import."))],
                     description=_l("First row 单位名称,单位类型 (or name,kind); type 部门 or 乡镇. UTF-8 or GBK."))
    submit = SubmitField(_l("Import"))


class UserEditForm(FlaskForm):
    """What an administrator may change about a user."""

    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=64)])
    title = StringField(_l("Job title"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("Email"), validators=[Optional(), Length(max=255)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=32)])
    role = SelectField(_l("Role"), choices=list(ROLES.items()))
    unit_id = SelectField(_l("Unit"), coerce=optional_int,
                          description=_l("Required for unit heads and unit staff; empty for the other roles."))
    is_principal = BooleanField(_l("Principal leader (sees every task; county leaders only)"))
    submit = SubmitField(_l("Save"))

    def set_unit_choices(self, units):
        """Offer `units` (plus the empty choice) in the unit select."""
        self.unit_id.choices = [("", "—")] + [(unit.id, unit.name) for unit in units]

    def service_data(self):
        """The form's values as keyword arguments of users.update_user / create_user."""
        return {name: self[name].data for name in EDITABLE}


class UserCreateForm(UserEditForm):
    """A new user: the editable fields plus a user name and an initial password."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8, max=200)])
    submit = SubmitField(_l("Create user"))

    def service_data(self):
        """The form's values as keyword arguments of users.create_user."""
        return super().service_data() | {"username": self.username.data, "password": self.password.data}


class ResetPasswordForm(FlaskForm):
    """A new password chosen by the administrator, twice."""

    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
    )
    submit = SubmitField(_l("Reset password"))


class ClearSignInDelayForm(FlaskForm):
    """A button (with its CSRF token) lifting a user's sign-in delay."""

    submit = SubmitField(_l("Clear the sign-in delay"))


class OfficeSettingsForm(FlaskForm):
    """The settings page's form: CSRF only; each setting's value is read by its key and checked by the service."""

    submit = SubmitField(_l("Save settings"))
