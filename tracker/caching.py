"""Figures computed once per change of the data, not once per page view.

The dashboard's aggregates and the task list's counts are the same for every
view until somebody changes a task: at province scale (100,000 tasks) they are
most of the CPU a page costs (benchmarks/RESULTS.md). So:

- every commit that changes a table the figures read (FIGURE_TABLES) raises a
  counter in the database (DataVersion "figures") in the same transaction, from
  a session event: no service has to remember it, and the scheduler, the CLI
  and every web worker raise the same counter;
- a request reads the counter once; `cached(name, key, make)` keeps what
  `make()` returned under (name, key, counter, today, settings) in a bounded
  in-memory cache of the process, so a figure is never older than the data it
  was read from: the counter is read before the figures, and the write that
  raises it commits with it.

Cached values must be plain data or rendered HTML, never ORM objects (they
outlive the session that loaded them).
"""
import threading
from contextlib import suppress

from cachetools import LRUCache
from flask import current_app, g, has_app_context
from sqlalchemy import event, func, inspect, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import clock
from .extensions import db
from .models import DataVersion

COUNTER = "figures"
# What the cached figures are computed from. Not the inbox, the outbox, job runs, login
# throttling or the audit trail: writing those leaves every figure as it was.
FIGURE_TABLES = frozenset({
    "tasks", "task_co_units", "milestones", "progress_reports", "attachments", "extension_requests",
    "closeout_requests", "urges", "units", "users", "indicators", "indicator_results", "indicator_co_units",
    "assessment_periods", "office_settings", "indicator_marks", "task_result_links", "task_dispatches",
    "deadline_adjustments", "task_returns", "bulletins",
})
# A user's sign-in, language or password changes no figure; these do (names in lists, who sees what).
USER_FIGURE_FIELDS = ("display_name", "title", "role", "unit_id", "is_active", "is_principal")
# Settings the figures depend on besides the data and the date.
SETTINGS = ("YELLOW_DUE_DAYS", "YELLOW_SILENT_DAYS", "ACCEPT_DUE_DAYS", "BULLETIN_EXPLAIN_UNITS", "TIMEZONE")


class FigureCache:
    """A size-bounded LRU map shared by the threads of one process.

    Right after a change every thread of a worker misses the same keys at once (three
    supervisors opening the dashboard): the first computes, the others wait for its result
    rather than computing it again.
    """

    def __init__(self, max_bytes):
        """An empty map holding at most `max_bytes` (roughly); 0 keeps nothing."""
        self.lock = threading.Lock()
        self.entries = LRUCache(maxsize=max_bytes, getsizeof=_weight) if max_bytes > 0 else None
        self.computing = {}  # key -> Pending, while one thread computes it

    def get_or_make(self, key, make):
        """The value kept under `key`, or make() kept there (computed outside the lock, once at a time)."""
        if self.entries is None:
            return make()
        with self.lock:
            if key in self.entries:
                return self.entries[key]
            pending = self.computing.get(key)
            owner = pending is None
            if owner:
                pending = self.computing[key] = Pending()
        if not owner:
            return pending.result(make)
        try:
            value = make()
        except BaseException:
            with self.lock:
                self.computing.pop(key, None)
            pending.fail()
            raise
        with self.lock:
            self.computing.pop(key, None)
            with suppress(ValueError):  # larger than the whole cache: used once, not kept
                self.entries[key] = value
        pending.give(value)
        return value


class Pending:
    """A value one thread is computing, for the threads that asked for it meanwhile."""

    WAIT = 30  # seconds; then a waiter computes the value itself

    def __init__(self):
        """Not computed yet."""
        self.done = threading.Event()
        self.ok, self.value = False, None

    def give(self, value):
        """Hand the value to the waiters."""
        self.ok, self.value = True, value
        self.done.set()

    def fail(self):
        """The computation failed: each waiter tries on its own."""
        self.done.set()

    def result(self, make):
        """The computed value, or make() when the computing thread failed or took too long."""
        if self.done.wait(self.WAIT) and self.ok:
            return self.value
        return make()


def _weight(value):
    """Roughly how many bytes a cached value holds (its text: HTML, or the repr of plain data)."""
    return len(value) if isinstance(value, str) else len(repr(value))


def init_app(app):
    """Give the app its cache (one per app: tests run many apps on different databases in one process)."""
    app.extensions["figure_cache"] = FigureCache(app.config.get("FIGURE_CACHE_BYTES", 0))


def cached(name, key, make):
    """make(), computed once per (name, key) while the data, the day and the settings stay the same."""
    config = current_app.config
    full_key = (name, key, data_version(), clock.today(), tuple(config.get(setting) for setting in SETTINGS))
    return current_app.extensions["figure_cache"].get_or_make(full_key, make)


def data_version():
    """The figures' counter as this request first read it (0 when its row is missing)."""
    if "data_version" not in g:
        g.data_version = db.session.scalar(db.select(DataVersion.version).where(DataVersion.name == COUNTER)) or 0
    return g.data_version


def raise_statement(dialect):
    """SQL adding one to the counter (creating its row when missing), for a session or a connection."""
    table = DataVersion.__table__
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        return insert.values(name=COUNTER, version=1).on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": table.c.version + 1})
    return update(table).where(table.c.name == COUNTER).values(version=table.c.version + 1)


def reset_statement(dialect, now_ms):
    """SQL moving the counter past any value a running process may have kept figures under.

    A restore brings back an older counter; raising it by one could land on a value the web
    processes already kept figures under (for the data before the restore) and show those.
    The counter jumps to the current time in milliseconds instead, above every count of
    writes it can have reached.
    """
    table = DataVersion.__table__
    fresh = func.max(table.c.version + 1, now_ms) if dialect == "sqlite" else func.greatest(table.c.version + 1,
                                                                                              now_ms)
    if dialect in ("postgresql", "sqlite"):
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
        return insert.values(name=COUNTER, version=now_ms).on_conflict_do_update(
            index_elements=[table.c.name], set_={"version": fresh})
    return update(table).where(table.c.name == COUNTER).values(version=fresh)


def _changes_figures(obj):
    """Does writing this object change a figure?"""
    table = getattr(obj, "__tablename__", None)
    if table not in FIGURE_TABLES:
        return False
    if table != "users":
        return True
    state = inspect(obj)
    if state.pending or state.deleted or state.was_deleted:
        return True
    return any(state.attrs[name].history.has_changes() for name in USER_FIGURE_FIELDS)


@event.listens_for(Session, "after_flush")
def _note_flush(session, _context):
    """Remember that this transaction wrote what the figures are made of."""
    if not session.info.get("figures_changed") and any(
            _changes_figures(obj) for group in (session.new, session.dirty, session.deleted) for obj in group):
        session.info["figures_changed"] = True


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state):
    """The same for bulk INSERT / UPDATE / DELETE statements run through the session.

    Literal SQL text is not looked at: the app never writes with it (tests and migrations
    building old schemas do). Writes past the session (seed-scale's COPY) run raise_statement.
    """
    if (state.is_insert or state.is_update or state.is_delete) \
            and getattr(state.statement.table, "name", None) in FIGURE_TABLES:
        state.session.info["figures_changed"] = True


@event.listens_for(Session, "before_commit")
def _raise_on_commit(session):
    """Raise the counter last, in the same transaction as the change (held only until the commit)."""
    session.flush()  # the final flush happens after this event: see what it writes first
    if session.info.pop("figures_changed", False):
        session.execute(raise_statement(session.get_bind().dialect.name))
        if has_app_context():
            g.pop("data_version", None)  # this request's later reads see its own change


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session):
    """A rolled-back change changed nothing."""
    session.info.pop("figures_changed", None)
