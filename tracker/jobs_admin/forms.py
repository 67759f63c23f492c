"""Forms of the scheduled-jobs pages and of a unit's group robot."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from ..services.messaging.webhooks import KINDS, MAX_SECRET, MAX_URL


class UnitWebhookForm(FlaskForm):
    """A unit's WeCom / DingTalk group robot; an empty address removes it."""

    webhook_kind = SelectField(_l("Group robot"), choices=[("", "—"), *KINDS.items()], validators=[Optional()])
    webhook_url = StringField(
        _l("Webhook address"), validators=[Optional(), Length(max=MAX_URL)],
        description=_l("The address shown when the robot was added to the unit's group chat. "
                       "Leave empty to send nothing to a group."))
    webhook_secret = StringField(
        _l("Signing secret (DingTalk only)"), validators=[Optional(), Length(max=MAX_SECRET)],
        description=_l("Only for DingTalk robots with “加签” security: the secret starting with SEC."))
    submit = SubmitField(_l("Save group robot"))
