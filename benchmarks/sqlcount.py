"""Count the SQL statements an engine runs, with SQLAlchemy's before_cursor_execute event.

Used by tests/test_query_counts.py (a page's statement count must not grow with
the data) and by the benchmark (statements per page and per job at scale).
"""
from contextlib import contextmanager

from sqlalchemy import event


class StatementCounter:
    """The statements seen while counting: `count`, and the SQL text of each in `statements`."""

    def __init__(self):
        """Start empty."""
        self.statements = []

    @property
    def count(self):
        """How many statements ran."""
        return len(self.statements)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        """The before_cursor_execute listener: remember the statement."""
        self.statements.append(statement)


@contextmanager
def counting(engine):
    """Count every statement `engine` runs inside the block."""
    counter = StatementCounter()
    event.listen(engine, "before_cursor_execute", counter._seen)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", counter._seen)
