"""Document numbers (文号, 第N期): per series and year, counting up, never reused, unique across processes.

One counter row per (series, year). Taking a number is one UPDATE … SET last_number =
last_number + 1 … RETURNING: on PostgreSQL that locks the row (as SELECT … FOR UPDATE
would) until the caller's transaction ends, so a second process waits and gets the next
number; on SQLite the UPDATE takes the database's write lock, with the same effect. The
first number of a year inserts the row; two processes inserting it at once collide on
its primary key, and the loser retries the UPDATE. A number is spent only when the
caller's transaction commits: a refused dispatch rolls its number back with it, so the
numbers have no gaps and are never given twice. The documents' own unique constraint
on (series, year, number) is the last guard (see tasks/notices.py).
"""
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import DocumentCounter

ATTEMPTS = 5


def next_number(series, year):
    """Take the next number of `series` in `year` inside the caller's transaction (1 for the year's first)."""
    counter = DocumentCounter.__table__
    for _attempt in range(ATTEMPTS):
        number = db.session.execute(
            counter.update().where(counter.c.series == series, counter.c.year == year)
            .values(last_number=counter.c.last_number + 1).returning(counter.c.last_number)
        ).scalar()
        if number is not None:
            return number
        try:
            with db.session.begin_nested():
                db.session.execute(counter.insert().values(series=series, year=year, last_number=0))
        except IntegrityError:
            continue  # another process made the year's row first: take the number from it
    raise RuntimeError(f"no number could be taken in series {series!r} for {year}")


def skip_past(series, year, number):
    """Move the counter to at least `number` (after finding a number already taken, e.g. one entered by hand)."""
    counter = DocumentCounter.__table__
    db.session.execute(counter.update().where(counter.c.series == series, counter.c.year == year,
                                              counter.c.last_number < number).values(last_number=number))
