"""The delivery outbox: every email and robot message waits here until it is accepted.

Rows are written in the same transaction as the work that produced them (a job
run marked done), so nothing is announced that was not recorded. The
dispatcher (a scheduled job every minute, and `flask outbox send`) claims due
rows, sends them and records the result; a failure is retried with backoff
(1, 5, 15, then every 60 minutes) and after OUTBOX_MAX_ATTEMPTS tries the row is
marked failed: still listed, and retried again by hand. Nothing is deleted.

Claiming is safe for several dispatchers at once: a claim moves the row's
next_attempt_at forward (a lease) with a conditional UPDATE that only one
process can win; on PostgreSQL the candidates are first picked with
SELECT … FOR UPDATE SKIP LOCKED so dispatchers do not queue behind each other.
A dispatcher that dies mid-send leaves the lease to expire and the row is sent
again later: delivery is at least once, never zero.
"""
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ... import clock
from ...extensions import db
from ...models import OutboxMessage
from .. import DomainError, job_runs
from . import webhooks
from .mailer import DeliveryError, SmtpSession

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60)  # after the 1st, 2nd, 3rd, 4th and later failures
LEASE = timedelta(minutes=5)  # longer than any send may take (SMTP and webhook timeouts are shorter)
BATCH = 200
MAX_ERROR = 2000
STATUSES = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}
CHANNELS = {"email": _l("Email"), "wecom": _l("WeCom robot"), "dingtalk": _l("DingTalk robot")}


@dataclass
class DispatchResult:
    """What one dispatcher pass did."""

    sent: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)

    @property
    def attempted(self):
        """How many messages were tried."""
        return self.sent + self.failed


def enqueue(channel, recipient, subject, body_text, body_html=None, job_run=None, user_id=None, unit_id=None):
    """Add a message to the outbox (committed by the caller, with the work that produced it)."""
    message = OutboxMessage(
        channel=channel, recipient=recipient, subject=(subject or "")[:300], body_text=body_text,
        body_html=body_html, status="pending", attempts=0, next_attempt_at=clock.now(), created_at=clock.now(),
        job_run_id=job_run.id if job_run is not None else None, user_id=user_id, unit_id=unit_id,
    )
    db.session.add(message)
    return message


def backoff(attempts):
    """How long to wait after the `attempts`-th failure."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def _due(now):
    """SQL: the message is waiting and its time has come."""
    return (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)


def claim_due(limit=BATCH):
    """Take up to `limit` due messages for this process (committed); others will not take them meanwhile."""
    now = clock.now()
    candidates = db.select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
    if db.engine.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = db.session.scalars(candidates).all()
    claimed = []
    for message_id in ids:
        won = db.session.execute(
            db.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now))
            .values(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            claimed.append(message_id)
    db.session.commit()
    if not claimed:
        return []
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.id.in_(claimed))
                              .order_by(OutboxMessage.id)).all()


def _send(message, smtp):
    """Deliver one message through its channel; DeliveryError when it was not accepted."""
    if message.channel == "email":
        smtp.send(message.recipient, message.subject, message.body_text or "", message.body_html)
        return
    if message.channel not in webhooks.KINDS:
        raise DeliveryError(f"unknown channel {message.channel!r}")
    url, secret = message.recipient, None
    unit = message.unit
    if unit is not None and unit.webhook_url and unit.webhook_kind == message.channel:
        # The unit's current robot: an address fixed after a failure serves the waiting messages too.
        url, secret = unit.webhook_url, unit.webhook_secret
        message.recipient = url
    webhooks.post(message.channel, url, secret, message.subject or "", message.body_text or "")


def _record_success(message):
    """Mark the message sent."""
    message.status = "sent"
    message.sent_at = clock.now()
    db.session.commit()


def _record_failure(message, error, quiet=False):
    """Keep the error and schedule the next try; after the last allowed try mark it failed."""
    message.last_error = str(error)[:MAX_ERROR]
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = "failed"
    else:
        message.next_attempt_at = clock.now() + backoff(message.attempts)
    db.session.commit()
    if not quiet:  # one line per cause, not one per message of a batch the same outage stopped
        log.warning("outbox message %s (%s) failed, attempt %s: %s", message.id, message.channel,
                    message.attempts, error)


def dispatch_due(limit=BATCH, max_batches=50):
    """Send the messages that are due, batch after batch until none is left; returns what happened."""
    result = DispatchResult()
    state = {"smtp_down": None}  # once the server is unreachable, this pass's other mail waits for the next one
    for _batch in range(max_batches):
        claimed = _dispatch_batch(claim_due(limit), result, state)
        if claimed < limit:
            break
    return result


def _dispatch_batch(messages, result, state):
    """Send claimed messages over one SMTP connection, recording each outcome; returns how many there were."""
    with SmtpSession(current_app.config) as smtp:
        for message in messages:
            try:
                if message.channel == "email" and state["smtp_down"] is not None:
                    raise state["smtp_down"]
                _send(message, smtp)
            except DeliveryError as error:
                repeat = error is state["smtp_down"]
                if error.whole_channel and message.channel == "email":
                    state["smtp_down"] = error
                _record_failure(message, error, quiet=repeat)
                result.failed += 1
                result.errors.append(str(error))
            else:
                _record_success(message)
                result.sent += 1
    return len(messages)


def retry(actor, message_id):
    """Put a failed or waiting message back in line now, with a fresh count of tries."""
    job_runs.require_job_manager(actor)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise DomainError(_("This message does not exist."))
    if message.status == "sent":
        raise DomainError(_("This message was already sent."))
    message.status, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
    db.session.commit()
    return message


def retry_all_failed(actor):
    """Put every failed message back in line now; returns how many."""
    job_runs.require_job_manager(actor)
    count = db.session.execute(
        db.update(OutboxMessage).where(OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return count


def status_counts():
    """How many messages are waiting, sent and failed."""
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(db.session.execute(
        db.select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())
    return counts


def outbox_page(status, page, per_page):
    """One page of the outbox, newest first, optionally of one status."""
    query = db.select(OutboxMessage)
    if status in STATUSES:
        query = query.where(OutboxMessage.status == status)
    query = query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False, max_per_page=100)
