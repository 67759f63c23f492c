"""The delivery outbox: every email and robot message waits here until it is accepted.

Rows are written in the same transaction as the work that produced them (a job
run marked done), so nothing is announced that was not recorded. A delivery
pass (delivery.py: the scheduled job every minute, and `flask outbox send`)
claims one due message at a time, sends it and records the result; a failure
is retried with backoff (1, 5, 15, then every 60 minutes) and after
OUTBOX_MAX_ATTEMPTS tries the row is marked failed: still listed, and retried
again by hand. Nothing is deleted.

Each claim is a conditional UPDATE that only one pass can win, taking a lease
(lease_owner, lease_until = now + OUTBOX_LEASE) that the pass renews every
OUTBOX_HEARTBEAT seconds while the channel sends; the lease is checked again
(still ours, not run out) right before the send and when the outcome is
recorded, so no pass sends a message another pass holds however slow the
server. On PostgreSQL the candidate is picked with FOR UPDATE SKIP LOCKED, so
passes do not queue behind each other.

The one window no protocol closes: the server accepted a message and the
process died before recording it. `sending_at`, set just before the send, is
still there when the lease runs out; the next claim counts the interruption
(`interrupted_sends`, shown on the outbox page as "resent after an
interruption") and sends it again, once: a message interrupted a second time is
marked failed for a person to check, rather than sent a third time.
"""
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError

from ... import clock, permissions
from ...extensions import db
from ...models import OutboxMessage
from .. import DomainError, job_runs
from . import webhooks
from .mailer import DeliveryError, SmtpSession

log = logging.getLogger(__name__)

BACKOFF_MINUTES = (1, 5, 15, 60)  # after the 1st, 2nd, 3rd, 4th and later failures
BATCH = 10000  # at most this many messages per pass and channel (the time budget usually ends a pass first)
MAX_ERROR = 2000
MAX_INTERRUPTIONS = 1  # sends cut off by a crash after which a message is still sent again automatically
STATUSES = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed")}
CHANNELS = {"email": _l("Email"), "wecom": _l("WeCom robot"), "dingtalk": _l("DingTalk robot")}
TABLE = OutboxMessage.__table__


@dataclass
class DispatchResult:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)
    resent: int = 0  # of the sent and failed: messages whose earlier send was cut off by a crash
    lost: int = 0  # claims another pass took over before this one could send (a stalled process)
    left: int = 0  # channels whose time budget ran out with messages still due

    @property
    def attempted(self):
        """How many messages were tried."""
        return self.sent + self.failed

    def add(self, other):
        """Add another worker's counts to these."""
        for name in ("sent", "failed", "resent", "lost", "left"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


def enqueue(channel, recipient, subject, body_text, body_html=None, job_run=None, user_id=None, unit_id=None):
    """Add a message to the outbox (committed by the caller, with the work that produced it)."""
    message = OutboxMessage(
        channel=channel, recipient=recipient, subject=(subject or "")[:300], body_text=body_text,
        body_html=body_html, status="pending", attempts=0, next_attempt_at=clock.now(), created_at=clock.now(),
        job_run_id=job_run.id if job_run is not None else None, user_id=user_id, unit_id=unit_id,
        interrupted_sends=0,
    )
    db.session.add(message)
    return message


def backoff(attempts):
    """How long to wait after the `attempts`-th failure."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def _due(now):
    """SQL: the message is waiting, its time has come, and no pass holds it."""
    return ((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now)
            & (OutboxMessage.lease_until.is_(None) | (OutboxMessage.lease_until <= now)))


def due_channels():
    """The channels with messages due now."""
    return db.session.scalars(db.select(OutboxMessage.channel).where(_due(clock.now())).distinct()).all()


def claim_next(owner, channels):
    """Take the next due message of `channels` for `owner`, leased and committed; None when none is due."""
    lease = job_runs.seconds("OUTBOX_LEASE")
    for _race in range(20):  # another pass won the candidate between our read and our update: read again
        now = clock.now()
        candidate = (db.select(OutboxMessage.id, OutboxMessage.sending_at.is_not(None))
                     .where(_due(now), OutboxMessage.channel.in_(channels)).order_by(OutboxMessage.id).limit(1))
        if db.engine.dialect.name == "postgresql":
            candidate = candidate.with_for_update(skip_locked=True)
        row = db.session.execute(candidate).first()
        if row is None:
            db.session.rollback()
            return None
        message_id, interrupted = row
        won = db.session.execute(
            db.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, _due(now),
                   OutboxMessage.sending_at.is_not(None) if interrupted else OutboxMessage.sending_at.is_(None))
            .values(lease_owner=owner, lease_until=now + lease, attempts=OutboxMessage.attempts + 1,
                    sending_at=None, interrupted_sends=OutboxMessage.interrupted_sends + (1 if interrupted else 0))
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if won == 1:
            message = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.id == message_id)
                                        .execution_options(populate_existing=True))
            message.was_interrupted = interrupted
            return message
    return None


def renew(connection, message_id, owner, lease):
    """Extend a lease this owner still holds (from the lease-keeping thread, on its own connection)."""
    connection.execute(TABLE.update().where(TABLE.c.id == message_id, TABLE.c.lease_owner == owner)
                       .values(lease_until=clock.now() + lease))


def _settle(message, owner, **values):
    """Write the message's new state if this owner still holds it; True when written (committed)."""
    try:
        written = db.session.execute(
            db.update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == owner)
            .values(**values).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except SQLAlchemyError as error:
        # The outcome is not recorded; the lease runs out and the next pass takes the message
        # (once more, shown as resent, when its send had begun).
        db.session.rollback()
        log.error("outbox message %s: its state was not recorded: %s", message.id, error)
        return False
    if written != 1:
        log.error("outbox message %s: the lease of %s ran out before its outcome was recorded", message.id, owner)
    return written == 1


def mark_sending(message, owner):
    """Check the lease is still ours and note that the send begins; False when another pass holds it now."""
    now = clock.now()
    try:
        written = db.session.execute(
            db.update(OutboxMessage).where(OutboxMessage.id == message.id, OutboxMessage.lease_owner == owner,
                                           OutboxMessage.lease_until > now)
            .values(sending_at=now).execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("outbox message %s: could not check its lease: %s", message.id, error)
        return False
    return written == 1


def record_success(message, owner, recipient):
    """Mark the message sent (to `recipient`: a robot's address may have been corrected meanwhile)."""
    return _settle(message, owner, status="sent", sent_at=clock.now(), recipient=recipient, sending_at=None,
                   lease_owner=None, lease_until=None)


def record_failure(message, owner, error, quiet=False, final=False):
    """Keep the error and schedule the next try; after the last allowed try (or `final`) mark it failed."""
    failed = final or message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]
    values = {"status": "failed"} if failed else {"next_attempt_at": clock.now() + backoff(message.attempts)}
    written = _settle(message, owner, last_error=str(error)[:MAX_ERROR], sending_at=None, lease_owner=None,
                      lease_until=None, **values)
    if not quiet:  # one line per cause, not one per message the same outage stopped
        log.warning("outbox message %s (%s) failed, attempt %s: %s", message.id, message.channel,
                    message.attempts, error)
    return written


def interrupted_twice(message):
    """True when a message's send was cut off again after it had been sent once more for that reason."""
    return getattr(message, "was_interrupted", False) and message.interrupted_sends > MAX_INTERRUPTIONS


def dispatch_due(limit=BATCH):
    """One delivery pass: a worker per channel with messages due, each within its time budget; what happened."""
    channels = sorted(due_channels())
    result = DispatchResult()
    if not channels:
        return result
    owner = f"{job_runs.process_owner()}:{secrets.token_hex(3)}"  # this pass, not the process: passes overlap
    if len(channels) == 1 or job_runs.shares_one_connection():
        for channel in channels:
            result.add(_work(channel, owner, limit))
        return result
    # One worker per channel: a mail server or robot that hangs holds up only its own channel.
    app, outcomes = current_app._get_current_object(), {}

    def run(channel):
        """A worker thread with its own app context (and so its own session and connection)."""
        with app.app_context():
            try:
                outcomes[channel] = _work(channel, owner, limit)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(channel,), name=f"outbox-{channel}") for channel in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for channel in channels:
        result.add(outcomes.get(channel) or DispatchResult(errors=[f"{channel}: the worker stopped"]))
    return result


def _work(channel, owner, limit):
    """Send the due messages of one channel, one claim at a time, until none is left or its budget is spent."""
    result, down = DispatchResult(), {}  # down: destination -> the error that showed it unreachable this pass
    deadline = time.monotonic() + float(current_app.config["OUTBOX_CHANNEL_BUDGET"])
    current = {"id": None}
    lease = job_runs.seconds("OUTBOX_LEASE")

    def beat(connection):
        """Renew the lease of the message being sent."""
        if current["id"] is not None:
            renew(connection, current["id"], owner, lease)

    with SmtpSession(current_app.config) as smtp, \
            job_runs.KeepAlive(beat, current_app.config["OUTBOX_HEARTBEAT"], f"outbox-{channel}-lease"):
        while result.attempted + result.lost < limit:
            if time.monotonic() >= deadline:
                result.left += 1  # the rest waits for the next pass
                break
            message = claim_next(owner, [channel])
            if message is None:
                break
            current["id"] = message.id
            try:
                _deliver(message, owner, smtp, down, result)
            finally:
                current["id"] = None
    return result


def _destination(message):
    """What one unreachable server takes down: the SMTP server for mail, the robot's address for a robot."""
    return "smtp" if message.channel == "email" else message.recipient


def _deliver(message, owner, smtp, down, result):
    """Send one claimed message and record its outcome; no error of a channel stops the pass."""
    if interrupted_twice(message):
        record_failure(message, owner, _("The send of this message was interrupted twice (the process stopped "
                                         "while the server had it): it may have arrived. Check, then retry it "
                                         "by hand."), final=True)
        result.failed += 1
        return
    if _destination(message) in down:
        record_failure(message, owner, down[_destination(message)], quiet=True)
        result.failed += 1
        return
    if not mark_sending(message, owner):
        result.lost += 1
        return
    result.resent += 1 if getattr(message, "was_interrupted", False) else 0
    try:
        recipient = _send(message, smtp)
    except Exception as error:  # any channel error (BadStatusLine, a refused header …) is this message's alone
        if not isinstance(error, DeliveryError):
            smtp.close()  # a half-spoken SMTP exchange is not reused
            error = DeliveryError(f"{type(error).__name__}: {error}")
        if error.whole_channel:
            down[_destination(message)] = error
        record_failure(message, owner, error)
        result.failed += 1
        result.errors.append(str(error))
    else:
        record_success(message, owner, recipient)
        result.sent += 1


def _send(message, smtp):
    """Deliver one message through its channel; returns the address used; DeliveryError when not accepted."""
    if message.channel == "email":
        smtp.send(message.recipient, message.subject, message.body_text or "", message.body_html)
        return message.recipient
    if message.channel not in webhooks.KINDS:
        raise DeliveryError(f"unknown channel {message.channel!r}")
    url, secret = message.recipient, None
    unit = message.unit
    if unit is not None and unit.webhook_url and unit.webhook_kind == message.channel:
        # The unit's current robot: an address fixed after a failure serves the waiting messages too.
        url, secret = unit.webhook_url, unit.webhook_secret
    webhooks.post(message.channel, url, secret, message.subject or "", message.body_text or "")
    return url


def retry(actor, message_id):
    """Put a failed or waiting message back in line now, with a fresh count of tries."""
    job_runs.require_job_manager(actor)
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise DomainError(_("This message does not exist."))
    if message.status == "sent":
        raise DomainError(_("This message was already sent."))
    message.status, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
    message.lease_owner = message.lease_until = message.sending_at = None
    db.session.commit()
    return message


def retry_all_failed(actor):
    """Put every failed message back in line now; returns how many."""
    job_runs.require_job_manager(actor)
    count = db.session.execute(
        db.update(OutboxMessage).where(OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=clock.now(), lease_owner=None, lease_until=None,
                sending_at=None)
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


# What a delivery error is, in words, for those who may not read its technical detail: the
# socket's words name internal hosts and ports (the scheduled-jobs page is the office's too).
ERROR_CATEGORIES = (
    ("address not allowed", _l("The address is not allowed (the server itself or its local network)")),
    ("cannot reach", _l("The robot could not be reached")),
    ("no valid HTTP answer", _l("Something answered that is not a robot")),
    ("HTTP ", _l("The robot answered with an error")),
    ("robot refused", _l("The robot refused the message")),
    ("SMTP authentication", _l("The mail server refused the sign-in")),
    ("cannot connect to SMTP", _l("The mail server could not be reached")),
    ("SMTP connection lost", _l("The mail server could not be reached")),
    ("recipient refused", _l("The mail server refused the recipient")),
)


def error_shown_to(user, message):
    """The message's last error as `user` may read it: in full for the administrator, else its category."""
    error = message.last_error
    if not error or permissions.can_manage_units(user):
        return error or ""
    return str(next((label for prefix, label in ERROR_CATEGORIES if error.startswith(prefix)),
                    _l("Delivery failed")))
