"""Forms of the bulletin pages; the service checks the month and the text again (the CLI calls it too)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from ..services.bulletins.lifecycle import MAX_REQUIREMENTS
from ..services.bulletins.voiding import MAX_REASON


class GenerateForm(FlaskForm):
    """Generate (or re-generate) the draft of a month, optionally with the 下步要求."""

    month = StringField(_l("Month"), validators=[DataRequired()], render_kw={"type": "month", "placeholder": "YYYY-MM"})
    requirements = TextAreaField(
        _l("Next-step requirements (下步要求)"), validators=[Length(max=MAX_REQUIREMENTS)], render_kw={"rows": 5},
        description=_l("One paragraph per line. Left empty, a draft that exists keeps the text it has."))
    submit = SubmitField(_l("Generate draft"))


class RequirementsForm(FlaskForm):
    """The draft's 下步要求, then generate the draft again."""

    requirements = TextAreaField(_l("Next-step requirements (下步要求)"), validators=[Length(max=MAX_REQUIREMENTS)],
                                 render_kw={"rows": 8}, description=_l("One paragraph per line."))
    submit = SubmitField(_l("Save and generate the draft again"))


class IssueForm(FlaskForm):
    """定稿: confirm that the draft was checked, since issuing freezes it for good."""

    confirm = BooleanField(_l("I have checked the draft. Issuing freezes this bulletin: it can never be generated "
                              "again or changed."), validators=[InputRequired()])
    submit = SubmitField(_l("Issue (定稿)"))


class VoidForm(FlaskForm):
    """作废: the reason, shown with the voided bulletin and sent to the leaders."""

    reason = TextAreaField(_l("Reason for voiding"), validators=[Length(max=MAX_REASON)], render_kw={"rows": 3})
    submit = SubmitField(_l("Void this bulletin (作废)"))


class SignedForm(FlaskForm):
    """The signed final PDF of an issued bulletin, attached once."""

    file = FileField(_l("Signed final PDF"), validators=[FileRequired(_l("Choose the PDF file."))])
    submit = SubmitField(_l("Attach the signed final PDF"))
