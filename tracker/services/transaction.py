"""Saving a use case's changes: all of it committed or none, and the text fields every form shares."""
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from . import ConflictError, DomainError

MAX_TEXT = 4000  # a reason, note or message; a report body may be longer
ONE_TRANSACTION = "one_transaction"  # db.session.info key: an enclosing one_transaction() commits
AFTER_COMMIT = "after_commit"  # db.session.info key: what to do once the enclosing transaction committed


class OutcomeUnknown(DomainError):
    """The database was asked to commit and did not answer: the change may or may not be saved.

    Nothing is undone on the product's side (files written for the change stay where the
    reconciliation finds them); the user is asked to look before trying again.
    """


def outcome_unknown():
    """The message for a commit the database did not confirm."""
    return OutcomeUnknown(_("The database did not confirm the save (the connection was lost). Reload the page to "
                            "see whether it was saved before you try again."))


def _commit_outcome_unknown(error):
    """True when a failed COMMIT may have reached the database: a lost connection, not a refusal.

    A refusal comes with the server's error code (a serialization failure, a constraint); a lost
    reply has none. SQLite is a local file: its commit either happened or raised a refusal.
    """
    if isinstance(error, IntegrityError) or db.session.get_bind().dialect.name == "sqlite":
        return False
    if getattr(error.orig, "pgcode", None):
        return False
    return error.connection_invalidated or type(error.orig).__name__ in ("OperationalError", "InterfaceError")


def _rollback_quietly():
    """Roll back after a lost connection, which may itself fail: the session must be usable again."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


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
    pending = db.session.info.setdefault(AFTER_COMMIT, [])
    try:
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        _commit(conflict)
    except BaseException:
        pending.clear()
        raise
    finally:
        db.session.info.pop(ONE_TRANSACTION, None)
    for step in pending:
        step()
    pending.clear()


def _commit(conflict, cleanup=None):
    """Commit; a definite failure rolls back (and cleans up), an unanswered COMMIT raises OutcomeUnknown."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        if cleanup:
            cleanup()
        raise _conflict(conflict) from None
    except DBAPIError as error:
        if not _commit_outcome_unknown(error):
            db.session.rollback()
            if cleanup:
                cleanup()
            raise
        _rollback_quietly()
        raise outcome_unknown() from error
    except BaseException:
        db.session.rollback()
        if cleanup:
            cleanup()
        raise


@contextmanager
def saving(cleanup=None, conflict=None, after_commit=None):
    """Commit the block's changes; on any error roll back (and run `cleanup`) so nothing is half-done.

    `conflict`: a callable giving the message for a concurrent change (default: changed_meanwhile).
    `after_commit`: run once the change is committed (files move into place only then). When the
    database does not answer the COMMIT, neither runs: OutcomeUnknown, and the files stay where
    the reconciliation (documents.files) finds them.
    """
    if db.session.info.get(ONE_TRANSACTION):
        # Inside one_transaction(): its end commits or rolls back everything (cleanup is not run).
        yield
        db.session.flush()
        if after_commit:
            db.session.info[AFTER_COMMIT].append(after_commit)
        return
    try:
        yield
        db.session.flush()
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
    _commit(conflict, cleanup)
    if after_commit:
        after_commit()


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
