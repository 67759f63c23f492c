"""Forms of the indicator pages. Rules live in the services; forms only parse what the user typed."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..models.indicator import DIRECTIONS, HAND_MARKS, INDICATOR_KINDS, PERIOD_KINDS, TARGET_BASES
from ..models.task import LEVELS, SOURCES
from ..pickers import unit_picker
from ..services.tasks.sheet_import import IMPORTABLE_SOURCES
from ..tasks.forms import MILESTONE_HELP


def _int_or_none(value):
    """Coerce a select's value to int, with '' meaning none."""
    return int(value) if value not in (None, "", "None") else None


class PeriodForm(FlaskForm):
    """A new assessment period."""

    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=100)],
                       description=_l("e.g. 2026年半年考核, 2026年前三季度考核, 2026年一季度, 2026年10月, 2026年度"))
    kind = SelectField(_l("Period type"), choices=[("", _l("From the name or the dates"))] + list(PERIOD_KINDS.items()),
                       default="")
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()],
                        description=_l("Leave both days empty when the name says them (2026年前三季度 is 1 January – "
                                       "30 September)."))
    target_basis = SelectField(_l("The sheet's target (目标值) is"), choices=list(TARGET_BASES.items()), default="year")
    submit = SubmitField(_l("Create period"))


class RulesForm(FlaskForm):
    """The weak-indicator rules of a period."""

    bottom_k = IntegerField(_l("Bottom ranks that count as weak"), validators=[Optional(), NumberRange(0, 50)],
                            description=_l("3 means the last three places (后三名); 0 switches the rule off."))
    last_place = BooleanField(_l("Last place is weak"))
    behind_progress = BooleanField(_l("Behind time-elapsed progress (or below target) is weak"))
    score_rate_below = IntegerField(_l("Score rate below (per cent)"), validators=[Optional(), NumberRange(1, 100)],
                                    description=_l("Score ÷ weight; leave empty to switch the rule off."))
    default_deadline_days = IntegerField(_l("Default deadline of generated tasks (days)"),
                                         validators=[InputRequired(), NumberRange(1, 730)])
    target_basis = SelectField(_l("The sheet's target (目标值) is"), choices=list(TARGET_BASES.items()),
                               description=_l("The year's target: a cumulative amount is held to target × time-elapsed "
                                              "progress. This period's target: to the target itself."))
    submit = SubmitField(_l("Save rules"))


class MarkForm(FlaskForm):
    """The office's hand mark on one indicator for one period."""

    mark = SelectField(_l("Mark"), choices=list(HAND_MARKS.items()))
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)], render_kw={"rows": 3},
                           description=_l("Required, e.g. 市直部门反馈摆尾; it is printed in the bulletin."))
    submit = SubmitField(_l("Save the mark"))


class IndicatorForm(FlaskForm):
    """What the weak-indicator rules need to know about an indicator."""

    direction = SelectField(_l("Direction"), choices=list(DIRECTIONS.items()))
    kind = SelectField(_l("Kind"), choices=list(INDICATOR_KINDS.items()))
    is_veto = BooleanField(_l("Veto indicator (一票否决)"))
    bonus_cap = DecimalField(_l("Bonus cap (points)"), places=None, validators=[Optional(), NumberRange(0, 100)])
    formula = TextAreaField(_l("Scoring formula"), validators=[Length(max=2000)], render_kw={"rows": 3})
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    """A results spreadsheet."""

    file = FileField(_l("Results file (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the results spreadsheet to import."))])
    target_basis = SelectField(_l("The sheet's target (目标值) is"), choices=list(TARGET_BASES.items()), default="year")
    submit = SubmitField(_l("Upload and check"))


class ConfirmImportForm(FlaskForm):
    """Confirm a previewed results import."""

    create_units = BooleanField(_l("Create the units listed above"))
    submit = SubmitField(_l("Import"))


class TaskUploadForm(FlaskForm):
    """A spreadsheet of tasks from other sources."""

    file = FileField(_l("Task list (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the task spreadsheet to import."))])
    default_source = SelectField(_l("Source, where the sheet does not say"),
                                 choices=[(code, SOURCES[code]) for code in IMPORTABLE_SOURCES], default="inspection")
    submit = SubmitField(_l("Upload and check"))


class ConfirmTaskImportForm(FlaskForm):
    """Create the previewed tasks, as drafts or dispatched."""

    save_drafts = SubmitField(_l("Create as drafts"))
    dispatch = SubmitField(_l("Create and dispatch"))


class DraftRowForm(Form):
    """One prefilled draft on the generate page (no CSRF of its own: the page form has it)."""

    result_id = HiddenField()
    include = BooleanField(_l("Create"), default=True)
    title = StringField(_l("Title"), validators=[Length(max=300)])
    problem = TextAreaField(_l("Problem"), render_kw={"rows": 4})
    measures = TextAreaField(_l("Measures"), render_kw={"rows": 2})
    milestones = TextAreaField(_l("Milestones (optional)"), render_kw={"rows": 2, "placeholder": "2026-07-31 …"},
                               description=MILESTONE_HELP)
    lead_unit = SelectField(_l("Lead unit"), coerce=_int_or_none, validate_choice=False)
    co_units = SelectMultipleField(_l("Co-organizing units"), coerce=int, render_kw=unit_picker(4),
                                   validate_choice=False)
    responsible_leader = SelectField(_l("Responsible leader"), coerce=_int_or_none, validate_choice=False)
    deadline_on = DateField(_l("Deadline"), validators=[Optional()])
    supervision_level = SelectField(_l("Supervision level"), choices=list(LEVELS.items()), default="normal")
    # When the indicator already has an open task with the same lead unit (carried from an earlier period).
    link_task = SelectField(_l("Existing open task"), coerce=_int_or_none, validate_choice=False)
    duplicate_reason = TextAreaField(_l("Reason for a second task"), validators=[Length(max=1000)],
                                     render_kw={"rows": 2})


class GenerateForm(FlaskForm):
    """The drafts made from the selected weak indicators, edited, then created."""

    drafts = FieldList(FormField(DraftRowForm))
    dispatch = SubmitField(_l("Create and dispatch"))
    save_drafts = SubmitField(_l("Save as drafts"))

    def set_choices(self, units, leaders):
        """Fill the unit and leader lists of every draft."""
        for entry in self.drafts:
            entry.form.lead_unit.choices = [("", "—")] + [(u.id, u.name) for u in units]
            entry.form.co_units.choices = [(u.id, u.name) for u in units]
            entry.form.responsible_leader.choices = [("", "—")] + [
                (u.id, f"{u.display_name} ({u.title})" if u.title else u.display_name) for u in leaders]
