"""Office settings (办公室设置): what an office changes between months, kept in the database.

Deployment settings (database, secrets, mail server, schedules, fonts) stay in the
environment. The settings listed here are the office's own (due days, caps, the bulletin's
主送/抄送 …): their first default is the environment variable of the same name (config.py),
and the office changes them on its settings page (admin and supervision office), each change
audited with the old and the new value.

Reading is cheap: `value(key)` reads the stored values once per change of the data (the
table is one of the figure cache's tables, so a change raises the figures' counter) and once
per request at most. Every module that needs one of these settings calls `value`, never
`current_app.config` directly, so the page's value is the one in force everywhere: pages,
documents, alerts and scores.

To add a setting: one `Setting` in SETTINGS (a key, a group, a label, a kind and its limits)
and a line in config.py reading the environment variable of the same name.
"""
import json
from contextlib import suppress
from dataclasses import dataclass

from flask import current_app, g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import caching, permissions
from ..extensions import db
from ..models import OfficeSetting
from . import DomainError, PermissionDenied, audit
from .transaction import saving

GROUPS = {
    "lights": _l("Traffic lights and alerts"),
    "tasks": _l("Tasks"),
    "bulletin": _l("Monthly bulletin"),
}


@dataclass(frozen=True)
class Setting:
    """One office setting: its key (the environment variable), where it shows, and what it accepts."""

    key: str
    group: str
    label: object  # lazy text
    help: object = ""
    kind: str = "int"  # int, bool, text, lines
    minimum: int | None = None
    maximum: int | None = None  # for text: the longest allowed

    def parse(self, raw):
        """The value typed on the page (or given to the CLI) as this setting's type; DomainError if it is not."""
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw or "").strip().lower()
            if text in ("1", "true", "yes", "on", "y"):
                return True
            if text in ("", "0", "false", "no", "off", "n"):
                return False
            raise DomainError(_("%(setting)s must be yes or no.", setting=self.label))
        if self.kind == "int":
            try:
                number = int(str(raw).strip())
            except (TypeError, ValueError):
                raise DomainError(_("%(setting)s must be a whole number.", setting=self.label)) from None
            if (self.minimum is not None and number < self.minimum) or (
                    self.maximum is not None and number > self.maximum):
                raise DomainError(_("%(setting)s must be between %(min)d and %(max)d.",
                                    setting=self.label, min=self.minimum, max=self.maximum))
            return number
        text = str(raw or "").replace("\r\n", "\n").strip()
        if self.kind == "text":
            text = " ".join(text.split())
        if not text:
            raise DomainError(_("%(setting)s cannot be empty.", setting=self.label))
        if self.maximum is not None and len(text) > self.maximum:
            raise DomainError(_("%(setting)s has %(length)d characters; at most %(max)d are allowed.",
                                setting=self.label, length=len(text), max=self.maximum))
        return text

    def shown(self, value):
        """The value as the settings page and the audit trail write it."""
        if self.kind == "bool":
            return _("Yes") if value else _("No")
        return str(value)


SETTINGS = (
    Setting("YELLOW_DUE_DAYS", "lights", _l("Yellow light: days before the deadline"),
            _l("A task due within this many days shows yellow."), minimum=0, maximum=90),
    Setting("YELLOW_SILENT_DAYS", "lights", _l("Yellow light: days without a progress report"),
            _l("A task without a report for this many days shows yellow."), minimum=1, maximum=180),
    Setting("ALERT_MAX_ROWS", "lights", _l("Weekly alert: most tasks listed per mail"),
            _l("Longer lists end with a link to the whole list."), minimum=5, maximum=500),
    Setting("CLOSEOUT_REQUIRES_EVIDENCE", "tasks", _l("Close-out needs evidence attached to the request"),
            _l("A close-out request must carry at least one evidence file of its own; files of earlier "
               "reports are listed for the reviewer but do not count."), kind="bool"),
    Setting("ACCEPT_DUE_DAYS", "tasks", _l("Days a unit has to accept a task"),
            _l("A task not accepted this many calendar days after dispatch is listed as not accepted in time "
               "(逾期未签收) in the weekly alert and on the dashboard."), minimum=1, maximum=30),
    Setting("NOTICE_REPLY_DAYS", "tasks", _l("Notices: days to reply"),
            _l("The reply date (回告期限) a 督办/催办通知单 gets unless the office sets another, in calendar days."),
            minimum=1, maximum=60),
    Setting("BULLETIN_EXPLAIN_UNITS", "bulletin", _l("Units asked for a written explanation"),
            _l("The bottom units of the bulletin's ranking that must explain (情况说明); 0 asks none."),
            minimum=0, maximum=50),
    Setting("ISSUING_OFFICE", "bulletin", _l("Issuing office"),
            _l("Printed in the bulletin's masthead and signature."), kind="text", maximum=100),
    Setting("BULLETIN_MASTHEAD", "bulletin", _l("Masthead"), _l("The red title at the top of the bulletin."),
            kind="text", maximum=20),
    Setting("BULLETIN_AREA", "bulletin", _l("Area named in the title"), _l("e.g. 全县, 全市."), kind="text",
            maximum=20),
    Setting("BULLETIN_MAIN_TO", "bulletin", _l("Addressed to (主送)"),
            _l("Printed after the bulletin's title, ending with a full-width colon."), kind="text", maximum=200),
    Setting("BULLETIN_COPY_TO", "bulletin", _l("Copied to (抄送)"),
            _l("The offices named in the 抄送 line of the bulletin's 版记, separated by full-width commas."),
            kind="text", maximum=300),
)
BY_KEY = {setting.key: setting for setting in SETTINGS}


def setting(key):
    """The definition of one setting; KeyError for a key that is not an office setting."""
    return BY_KEY[key]


def value(key):
    """The value in force of one office setting (the page's, else the environment's default)."""
    return values()[key]


def values():
    """key → the value in force, for every office setting."""
    defaults = tuple(current_app.config.get(item.key) for item in SETTINGS)
    marker = (caching.data_version(), defaults)
    memo = g.get("office_settings")
    if memo is not None and memo[0] == marker:
        return memo[1]
    stored = caching.cached("office_settings", defaults, _stored)
    found = {}
    for item, default in zip(SETTINGS, defaults, strict=True):
        found[item.key] = default
        if item.key in stored:
            with suppress(DomainError):  # a value the definition no longer accepts: the default holds
                found[item.key] = item.parse(stored[item.key])
    g.office_settings = (marker, found)
    return found


def _stored():
    """key → the stored (decoded) value, for the settings the office changed."""
    rows = db.session.execute(db.select(OfficeSetting.key, OfficeSetting.value)).all()
    return {key: json.loads(raw) for key, raw in rows}


@dataclass(frozen=True)
class SettingView:
    """One setting as the page shows it."""

    setting: Setting
    value: object
    default: object
    changed_by: object  # User or None
    changed_at: object  # datetime or None

    @property
    def is_default(self):
        """True while the office has not changed it (or set it back to the default)."""
        return self.value == self.default


def overview(user):
    """Every setting with its value, its default and who changed it last, group by group."""
    _require(user)
    rows = {row.key: row for row in db.session.scalars(db.select(OfficeSetting))}
    current = values()
    groups = {}
    for item in SETTINGS:
        row = rows.get(item.key)
        groups.setdefault(item.group, []).append(SettingView(
            setting=item, value=current[item.key], default=current_app.config.get(item.key),
            changed_by=row.updated_by if row else None, changed_at=row.updated_at if row else None))
    return [(GROUPS[group], items) for group, items in groups.items()]


def update(actor, typed):
    """Save the settings typed (key → raw value); returns the keys that changed.

    Every value is checked before anything is saved: one bad value saves none of them.
    """
    _require(actor)
    current = values()
    parsed = {}
    for key, raw in typed.items():
        if key not in BY_KEY:
            raise DomainError(_("%(key)s is not an office setting.", key=key))
        parsed[key] = BY_KEY[key].parse(raw)
    changed = [key for key, new in parsed.items() if new != current[key]]
    if not changed:
        return []
    with saving():
        rows = {row.key: row for row in db.session.scalars(
            db.select(OfficeSetting).where(OfficeSetting.key.in_(changed)))}
        for key in changed:
            item, new = BY_KEY[key], parsed[key]
            row = rows.get(key) or OfficeSetting(key=key)
            row.value = json.dumps(new, ensure_ascii=False)
            row.updated_by_id = actor.id if actor is not None else None
            db.session.add(row)
            db.session.flush()
            audit.record_change(actor, "office_setting", row, "setting_changed",
                                reason=f"{key}: {item.shown(current[key])} → {item.shown(new)}")
    g.pop("office_settings", None)
    return changed


def _require(user):
    """The administrator and the supervision office (user None: the CLI) keep the settings."""
    if user is not None and not permissions.can_manage_office_settings(user):
        raise PermissionDenied(_("Only the administrator and the supervision office change the office settings."))
