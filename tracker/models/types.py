"""Column types shared by the models."""
from datetime import UTC

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from .. import clock

MAX_DB_INT = 2**31 - 1  # PostgreSQL's integer: every id column, and what a URL or form number must fit


def db_int(value):
    """An integer an id column can store (also as `request.args.get(…, type=db_int)`); ValueError otherwise."""
    number = int(value)
    if not -MAX_DB_INT <= number <= MAX_DB_INT:
        raise ValueError(f"{value!r} is out of range")
    return number


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime, stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Store as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        """Return aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow():
    """Column default: the product clock's now."""
    return clock.now()
