"""Saving a use case's changes: all of it committed or none, and the text fields every form shares."""
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import ConflictError, DomainError

MAX_TEXT = 4000  # a reason, note or message; a report body may be longer
ONE_TRANSACTION = "one_transaction"  # db.session.info key: an enclosing one_transaction() commits


def changed_meanwhile():
    """The message a user gets when what they edited was changed by someone else first."""
    return _("This was changed by someone else since you opened the page (or the form was sent twice). "
             "Reload the page to see its current state, then try again.")


def _conflict(conflict):
    """ConflictError with the caller's message (a callable, so it is translated when raised)."""
    return ConflictError((conflict or changed_meanwhile)())


@contextmanager
def one_transaction(conflict=None):
    """Run several services as one transaction (e.g. a bulk dispatch): all of it is committed, or none.

    `conflict`: a callable giving the message for a concurrent change (default: changed_meanwhile).
    """
    if db.session.info.get(ONE_TRANSACTION):
        yield  # already inside one: the outermost block commits
        return
    db.session.info[ONE_TRANSACTION] = True
    try:
        yield
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise _conflict(conflict) from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        db.session.info.pop(ONE_TRANSACTION, None)


@contextmanager
def saving(cleanup=None, conflict=None):
    """Commit the block's changes; on any error roll back (and run `cleanup`) so nothing is half-done.

    `conflict`: a callable giving the message for a concurrent change (default: changed_meanwhile).
    """
    if db.session.info.get(ONE_TRANSACTION):
        # Inside one_transaction(): its end commits or rolls back everything (cleanup is not run).
        yield
        db.session.flush()
        return
    try:
        yield
        db.session.commit()
    except StaleDataError:
        # Someone committed a change between our read and our write.
        db.session.rollback()
        if cleanup:
            cleanup()
        raise _conflict(conflict) from None
    except BaseException:
        db.session.rollback()
        if cleanup:
            cleanup()
        raise


def required_text(value, label, max_length=MAX_TEXT):
    """The stripped text, or DomainError when it is blank or too long."""
    value = (value or "").strip()
    if not value:
        raise DomainError(_("%(field)s is required.", field=label))
    if len(value) > max_length:
        raise DomainError(_("%(field)s has %(length)d characters; at most %(max)d are allowed.",
                            field=label, length=len(value), max=max_length))
    return value


def optional_text(value, label, max_length=MAX_TEXT):
    """The stripped text or None; DomainError when too long."""
    value = (value or "").strip()
    return required_text(value, label, max_length) if value else None
