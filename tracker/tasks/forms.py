"""Task forms. Rules live in the services; forms only parse what the user typed."""
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models.task import LEVELS, SOURCES


def _new_token():
    """A fresh one-time token for a create-type form."""
    return uuid.uuid4().hex


def _int_or_none(value):
    """Coerce a select's value to int, with '' meaning none."""
    return int(value) if value not in (None, "", "None") else None


class VersionedForm(FlaskForm):
    """A form that acts on a task as the user saw it: the task's version rides along."""

    version = HiddenField(validators=[InputRequired()])


class TokenForm(FlaskForm):
    """A form that creates something: a one-time token makes a double submission save once."""

    form_token = HiddenField(default=_new_token, validators=[InputRequired()])


class TaskForm(FlaskForm):
    """New draft task, or edit a draft (a new one carries a one-time token: sent twice, saved once)."""

    version = HiddenField()
    form_token = HiddenField(default=_new_token)
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=300)])
    problem = TextAreaField(_l("Problem"), render_kw={"rows": 3})
    measures = TextAreaField(_l("Measures"), render_kw={"rows": 3})
    source = SelectField(_l("Source"), choices=list(SOURCES.items()), default="manual")
    source_detail = StringField(_l("Source detail"), validators=[Length(max=300)],
                                description=_l("e.g. which inspection or which survey item"))
    lead_unit = SelectField(_l("Lead unit"), coerce=_int_or_none, validators=[InputRequired()])
    co_units = SelectMultipleField(_l("Co-organizing units"), coerce=int, render_kw={"size": 6})
    responsible_leader = SelectField(_l("Responsible leader"), coerce=_int_or_none)
    deadline_on = DateField(_l("Deadline"), validators=[InputRequired()])
    supervision_level = SelectField(_l("Supervision level"), choices=list(LEVELS.items()), default="normal")
    submit = SubmitField(_l("Save draft"))

    def set_choices(self, units, leaders):
        """Fill the unit and leader lists."""
        self.lead_unit.choices = [("", "—")] + [(u.id, u.name) for u in units]
        self.co_units.choices = [(u.id, u.name) for u in units]
        self.responsible_leader.choices = [("", "—")] + [
            (u.id, f"{u.display_name} ({u.title})" if u.title else u.display_name) for u in leaders]


class DispatchForm(VersionedForm):
    """Dispatch a draft."""

    note = TextAreaField(_l("Note to the units (optional)"), render_kw={"rows": 2})
    reply_due_on = DateField(_l("Reply by (回告期限)"), validators=[Optional()],
                             description=_l("Printed on the supervision notice; empty: the office's default."))
    submit = SubmitField(_l("Dispatch"))


class AcceptForm(VersionedForm):
    """签收, naming the owner."""

    owner = SelectField(_l("Owner"), coerce=_int_or_none, validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), render_kw={"rows": 2})
    submit = SubmitField(_l("Accept the task"))


class ReportForm(TokenForm):
    """Progress report with evidence."""

    body = TextAreaField(_l("Progress"), validators=[InputRequired()], render_kw={"rows": 5})
    percent_done = IntegerField(_l("Percent done"), validators=[InputRequired(), NumberRange(0, 100)],
                                render_kw={"min": 0, "max": 100})
    files = MultipleFileField(_l("Evidence files"))
    submit = SubmitField(_l("Submit report"))


class CloseoutRequestForm(VersionedForm):
    """Request close-out with a summary and evidence."""

    summary = TextAreaField(_l("Summary of the rectification"), validators=[InputRequired()], render_kw={"rows": 5})
    files = MultipleFileField(_l("Evidence files"))
    submit = SubmitField(_l("Request close-out"))


class DecisionForm(VersionedForm):
    """Approve or reject a request; a reason is needed to reject."""

    note = TextAreaField(_l("Reason / note"), render_kw={"rows": 3},
                         description=_l("Required when rejecting."))
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class ExtensionRequestForm(VersionedForm):
    """Ask for a later deadline."""

    requested_deadline_on = DateField(_l("New deadline"), validators=[InputRequired()])
    reason = TextAreaField(_l("Reason"), validators=[InputRequired()], render_kw={"rows": 3})
    submit = SubmitField(_l("Request extension"))


class CancelForm(VersionedForm):
    """Cancel a task, with the reason."""

    reason = TextAreaField(_l("Reason"), validators=[InputRequired()], render_kw={"rows": 3})
    submit = SubmitField(_l("Cancel the task"))


class UrgeForm(TokenForm):
    """催办 message."""

    message = TextAreaField(_l("Message"), validators=[InputRequired()], render_kw={"rows": 3})
    reply_due_on = DateField(_l("Reply by (回告期限)"), validators=[Optional()],
                             description=_l("Printed on the urge notice; empty: the office's default."))
    submit = SubmitField(_l("Urge"))


class MilestoneForm(TokenForm):
    """Plan a milestone."""

    title = StringField(_l("Milestone"), validators=[InputRequired(), Length(max=300)])
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    submit = SubmitField(_l("Plan milestone"))


class MilestoneDoneForm(FlaskForm):
    """Mark a milestone done."""

    note = TextAreaField(_l("What was delivered"), validators=[InputRequired()], render_kw={"rows": 3})
    submit = SubmitField(_l("Mark done"))
