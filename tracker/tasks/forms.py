"""Task forms. Rules live in the services; forms only parse what the user typed."""
import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models.task import LEVELS, SOURCES
from ..pickers import unit_picker


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


MILESTONE_HELP = _l("One a line: the due date, a space, the deliverable, e.g. “2026-07-31 完成整改方案”.")


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
    co_units = SelectMultipleField(_l("Co-organizing units"), coerce=int, render_kw=unit_picker())
    responsible_leader = SelectField(_l("Responsible leader"), coerce=_int_or_none)
    deadline_on = DateField(_l("Deadline"), validators=[InputRequired()])
    supervision_level = SelectField(_l("Supervision level"), choices=list(LEVELS.items()), default="normal")
    milestones = TextAreaField(_l("Milestones (optional)"), render_kw={"rows": 3, "placeholder": "2026-07-31 …"},
                               description=MILESTONE_HELP)
    indicator_result = SelectField(_l("Assessment indicator (optional)"), coerce=_int_or_none, validate_choice=False,
                                   description=_l("For a task answering a weak indicator of the latest period."))
    duplicate_reason = TextAreaField(_l("Reason for a second task"), validators=[Length(max=1000)],
                                     render_kw={"rows": 2},
                                     description=_l("Only when the indicator already has an open task of the same "
                                                    "lead unit."))
    submit = SubmitField(_l("Save draft"))

    def set_choices(self, units, leaders, indicators=()):
        """Fill the unit, leader and indicator lists."""
        set_unit_choices(self, units, leaders)
        self.indicator_result.choices = [("", "—"), *indicators]


def set_unit_choices(form, units, leaders):
    """Fill a task form's lead unit, co-unit and leader lists."""
    form.lead_unit.choices = [("", "—")] + [(u.id, u.name) for u in units]
    form.co_units.choices = [(u.id, u.name) for u in units]
    form.responsible_leader.choices = [("", "—")] + [
        (u.id, f"{u.display_name} ({u.title})" if u.title else u.display_name) for u in leaders]


class CorrectionForm(VersionedForm):
    """调整: the office corrects a dispatched task; a moved deadline needs the reason."""

    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=300)])
    problem = TextAreaField(_l("Problem"), render_kw={"rows": 3})
    measures = TextAreaField(_l("Measures"), render_kw={"rows": 3})
    lead_unit = SelectField(_l("Lead unit"), coerce=_int_or_none, validators=[InputRequired()],
                            description=_l("A new lead unit receives the task anew, to accept it and name its owner."))
    co_units = SelectMultipleField(_l("Co-organizing units"), coerce=int, render_kw={"size": 6})
    responsible_leader = SelectField(_l("Responsible leader"), coerce=_int_or_none)
    deadline_on = DateField(_l("Deadline"), validators=[InputRequired()])
    supervision_level = SelectField(_l("Supervision level"), choices=list(LEVELS.items()))
    reason = TextAreaField(_l("Reason for the correction"), render_kw={"rows": 2},
                           description=_l("Required when the deadline moves; kept in the deadline history."))
    submit = SubmitField(_l("Save the correction"))

    def set_choices(self, units, leaders):
        """Fill the unit and leader lists."""
        set_unit_choices(self, units, leaders)


class ReturnForm(VersionedForm):
    """申请调整: the lead unit's head returns a task before accepting it."""

    reason = TextAreaField(_l("Why should the task be adjusted?"), render_kw={"rows": 3},
                           description=_l("e.g. which unit's job it is; the supervision office reassigns it or "
                                          "insists."))
    submit = SubmitField(_l("Return for adjustment"))


class ReturnDecisionForm(VersionedForm):
    """The office's answer to a return: reassign to another unit, or insist."""

    new_lead_unit = SelectField(_l("Reassign to"), coerce=_int_or_none)
    note = TextAreaField(_l("Note to the unit"), render_kw={"rows": 3},
                         description=_l("Required when insisting: say why the task stays with the unit."))
    reassign = SubmitField(_l("Reassign"))
    insist = SubmitField(_l("Insist"))


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
    """Request close-out: the results, the percent done, evidence of its own; closeout_form() adds the open items."""

    summary = TextAreaField(_l("Results of the rectification"), validators=[InputRequired()], render_kw={"rows": 5},
                            description=_l("At least 20 characters: what was done, what changed, how it was checked."))
    percent_done = IntegerField(_l("Percent done"), validators=[InputRequired(), NumberRange(0, 100)],
                                render_kw={"min": 0, "max": 100})
    percent_reason = TextAreaField(_l("Why close-out below 100 percent"), render_kw={"rows": 2},
                                   description=_l("Needed only when the percent done is below 100."))
    files = MultipleFileField(_l("Evidence files of this request"))
    submit = SubmitField(_l("Request close-out"))

    def milestone_fields(self, milestone):
        """The (choice, note) fields of one open milestone."""
        return self[f"milestone_{milestone.id}"], self[f"milestone_{milestone.id}_note"]


MILESTONE_CHOICES = [("done", _l("Done")), ("open", _l("Not done"))]
EXTENSION_CHOICES = [("withdraw", _l("Withdraw the extension request")),
                     ("wait", _l("Keep it waiting for the office's decision"))]


def closeout_form(open_milestones, extension_pending, **values):
    """The close-out form with a choice and a note for each open milestone, and the extension choice when one waits.

    The choices are checked by the service (validate_choice off), so an unanswered one gets its own message.
    """
    fields = {}
    for milestone in open_milestones:
        fields[f"milestone_{milestone.id}"] = RadioField(milestone.title, choices=MILESTONE_CHOICES,
                                                         validate_choice=False, validators=[Optional()])
        fields[f"milestone_{milestone.id}_note"] = TextAreaField(
            _l("What was delivered, or why it is not done"), render_kw={"rows": 2})
    if extension_pending:
        fields["extension_choice"] = RadioField(_l("Your extension request"), choices=EXTENSION_CHOICES,
                                                validate_choice=False, validators=[Optional()])
    return type("CloseoutForm", (CloseoutRequestForm,), fields)(**values)


class DecisionForm(VersionedForm):
    """Approve or reject a request; a reason is needed to reject."""

    note = TextAreaField(_l("Reason / note"), render_kw={"rows": 3},
                         description=_l("Required when rejecting."))
    approve = SubmitField(_l("Approve"))
    reject = SubmitField(_l("Reject"))


class ExtensionDecisionForm(DecisionForm):
    """Approve an extension to a date of the office's choosing, or reject it."""

    granted_on = DateField(_l("Approved deadline"), validators=[Optional()],
                           description=_l("After the current deadline and no later than the date asked."))
    # Declared again after granted_on: a form lists its fields in the order they were made.
    note = TextAreaField(_l("Reason / note"), render_kw={"rows": 3}, description=_l("Required when rejecting."))
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


class MilestoneChangeForm(FlaskForm):
    """The office moves (or renames) an open milestone, or deletes it."""

    title = StringField(_l("Milestone"), validators=[InputRequired(), Length(max=300)])
    due_on = DateField(_l("Due on"), validators=[InputRequired()])
    save = SubmitField(_l("Save"))
    delete = SubmitField(_l("Delete the milestone"))


class MilestoneDoneForm(FlaskForm):
    """Mark a milestone done."""

    note = TextAreaField(_l("What was delivered"), validators=[InputRequired()], render_kw={"rows": 3})
    submit = SubmitField(_l("Mark done"))


class ReopenForm(VersionedForm):
    """Reopen a closed task after 回头看: a new deadline and the reason."""

    new_deadline_on = DateField(_l("New deadline"), validators=[Optional()])
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 3},
                           description=_l("e.g. the next ranking shows the indicator is still weak."))
    submit = SubmitField(_l("Reopen the task"))


class FollowUpForm(VersionedForm):
    """Confirm a follow-up task for a closed one."""

    submit = SubmitField(_l("Create the follow-up draft"))
