"""The weekly alert (每周预警) job: once per ISO week, to every reader with something to report.

`run_weekly_alert` is what the scheduler, `flask alerts weekly` and the admin
page's "run now" all call. It claims the week (job_runs), builds the
digests (digests.py), renders them (render.py), and in one transaction
writes the in-app messages, queues the emails and robot messages in the outbox
and marks the run done. The outbox dispatcher sends them afterwards.
"""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from ... import clock
from ...extensions import db
from ...models import Notification
from .. import job_runs
from ..messaging import outbox, webhooks
from . import digests as alerts_content
from . import render as alerts_render

JOB = "weekly_alert"
KIND = "weekly_alert"  # Notification.kind of the in-app copy
TITLE_LENGTH = Notification.__table__.c.title.type.length


def week_key(day):
    """The period key of the week holding `day` (a local date): ISO year and week, e.g. 2026-W48."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Delivery:
    """One reader of one digest and the channels they get it by."""

    digest: alerts_content.Digest
    user: object = None  # a User, or None for a group robot
    channels: tuple = ()  # ("inapp", "email") for users; ("wecom",) or ("dingtalk",) for robots
    address: str = ""


@dataclass
class AlertPlan:
    """Who gets what this week."""

    day: object
    digests: list
    deliveries: list = field(default_factory=list)
    without_email: list = field(default_factory=list)  # users reached in-app only

    @property
    def counts(self):
        """Messages by channel."""
        counts = {"inapp": 0, "email": 0, "webhook": 0}
        for delivery in self.deliveries:
            for channel in delivery.channels:
                counts["webhook" if channel in webhooks.KINDS else channel] += 1
        return counts


def plan_weekly_alert(day):
    """Every delivery of the weekly alert for `day`, without sending or recording anything."""
    plan = AlertPlan(day=day, digests=alerts_content.build_digests(day))
    for digest in plan.digests:
        for user in digest.recipients:
            email = (user.email or "").strip()
            channels = ("inapp", "email") if email else ("inapp",)
            plan.deliveries.append(Delivery(digest, user, channels, email))
            if not email:
                plan.without_email.append(user)
        if digest.webhook:
            kind, url = digest.webhook
            plan.deliveries.append(Delivery(digest, None, (kind,), url))
    return plan


def _write(plan, run):
    """Write the in-app messages and queue the emails and robot messages of a plan (not committed)."""
    rendered = {}

    def render(digest, locale):
        """Render each digest once per language."""
        key = (id(digest), locale)
        if key not in rendered:
            rendered[key] = alerts_render.render(digest, plan.day, locale)
        return rendered[key]

    now = clock.now()
    for delivery in plan.deliveries:
        digest = delivery.digest
        if delivery.user is None:
            content = render(digest, None)
            outbox.enqueue(delivery.channels[0], delivery.address, content.subject, content.markdown,
                           job_run=run, unit_id=digest.unit.id)
            continue
        content = render(digest, delivery.user.locale)
        db.session.add(Notification(user_id=delivery.user.id, kind=KIND, title=content.subject[:TITLE_LENGTH],
                                    body=content.inapp_text, link=digest.list_path, created_at=now))
        if "email" in delivery.channels:
            outbox.enqueue("email", delivery.address, content.subject, content.text, content.html,
                           job_run=run, user_id=delivery.user.id)


def run_notes(plan):
    """The run's notes: what was sent, and who could only be reached in-app."""
    counts = plan.counts
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if not plan.digests:
            return _("No task is red or yellow: nothing to send.")
        notes = [_("%(digests)d digests: %(inapp)d in-app, %(email)d emails, %(webhook)d group-robot messages.",
                   digests=len(plan.digests), **counts)]
        if plan.without_email:
            names = ", ".join(f"{u.display_name} ({u.unit.name if u.unit else u.role_label})"
                              for u in plan.without_email)
            notes.append(ngettext("%(num)d user has no email address and got the alert in-app only: %(names)s",
                                  "%(num)d users have no email address and got the alert in-app only: %(names)s",
                                  len(plan.without_email), names=names))
        return "\n".join(notes)


def run_weekly_alert(day=None, trigger="cli", actor=None, force=False, resend_key=None):
    """Send the week's alert once; a forced resend (admin) sends it again. Returns a RunOutcome.

    `resend_key` names the resend (2026-W48+r1) the office asked for, so asking twice sends it once.
    """
    if trigger in ("admin", "resend") or force:
        job_runs.require_job_manager(actor)
    day = day or clock.today()
    key = week_key(day)
    if force and job_runs.is_done(JOB, key):
        run = job_runs.claim_resend(JOB, key, actor, resend_key)
    else:
        run = job_runs.claim(JOB, key, trigger, actor)
    if run is None:
        return job_runs.RunOutcome(None, resend_key or key, skipped_reason=skipped_reason(resend_key or key))
    return work(run, day)


def work(run, day):
    """Do a claimed run: plan, write and mark it done in one commit, with its heartbeat beating meanwhile."""
    with job_runs.heartbeat(run):
        try:
            plan = plan_weekly_alert(day)
            _write(plan, run)
            job_runs.finish(run, sum(plan.counts.values()), run_notes(plan))
            db.session.commit()
        except Exception as error:  # recorded on the run, which may then be run again
            run = job_runs.fail(run, error)
            return job_runs.RunOutcome(run, run.period_key, details={"error": run.error})
    return job_runs.RunOutcome(run, run.period_key, details=plan.counts)


def skipped_reason(key):
    """Why the week's alert was not sent now."""
    existing = job_runs.existing_run(JOB, key)
    if existing is not None and existing.status == "running":
        return _("The weekly alert for %(week)s is being sent by another process.", week=key)
    if job_runs.RESEND_MARK in key:
        return _("The resend %(key)s was already made.", key=key)
    return _("The weekly alert for %(week)s was already sent. To send it again, tick “Send again” and press "
             "“Resend this week” on the jobs page (or run flask alerts weekly --force).", week=key)


def describe_plan(plan):
    """Lines saying who would get what, for `flask alerts weekly --dry-run`."""
    lines = [_("Weekly alert %(week)s, lights as of %(date)s", week=week_key(plan.day), date=plan.day.isoformat())]
    if not plan.digests:
        lines.append(_("No task is red or yellow: nothing to send."))
    for digest in plan.digests:
        label = {"unit": digest.name, "summary": _("County summary"), "leader": digest.name}[digest.kind]
        lines.append(f"\n== {label}: " + _("%(red)d red, %(yellow)d yellow", red=digest.red, yellow=digest.yellow))
        for row in digest.rows:
            code = f"{row.task.code} " if row.task.code else ""
            lines.append(f"   [{row.state.light_label}] {code}{row.task.title} "
                         f"({alerts_render.situation(row.state)})")
        if digest.more:  # the rows beyond ALERT_MAX_ROWS, as the digest itself says it
            lines.append(f"   {alerts_render.more_view(digest, len(digest.rows), digest.left_out).sentence}")
        for delivery in plan.deliveries:
            if delivery.digest is digest:
                who = delivery.user.display_name if delivery.user else webhooks.KINDS[delivery.channels[0]]
                where = webhooks.mask_url(delivery.address) if delivery.user is None else delivery.address
                lines.append(f"   -> {who} <{where or _('no email address')}>: {', '.join(delivery.channels)}")
    return lines
