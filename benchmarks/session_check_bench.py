"""Benchmark: what the per-request sign-in check costs (issue 13), on SQLite and on PostgreSQL.

Prints figures; it is not a pass/fail test. Every request loads its user once
(Flask-Login's user_loader, kept for the request). Before issue 13 that was a
read of the user by primary key; now it is one read of the sign-in by its
unique token hash, joined with the user. Both are timed the same way, each
iteration starting from an empty session as a new request would, against a
table of many sign-ins (default 20,000 rows of 2,000 users), plus a whole
request (GET /inbox/) with the check and with the user read by id instead, to put
the check in proportion.

    .venv/bin/python benchmarks/session_check_bench.py                       # SQLite
    .venv/bin/python benchmarks/session_check_bench.py --pg postgresql://tracker:tracker@127.0.0.1:5432/tracker_test_sessions

On PostgreSQL the figures are taken in a schema of their own, dropped at the end.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

PASSWORD = "bench-pass-2026"


def timed(functions, runs):
    """Median and p95 in microseconds of each of `functions`, called in turn `runs` times (after warming up).

    Interleaved, so that other load on the machine (it is shared) falls on both alike.
    """
    samples = [[] for _ in functions]
    for round_number in range(runs + 50):
        for function, kept in zip(functions, samples, strict=True):
            start = time.perf_counter()
            function()
            if round_number >= 50:
                kept.append((time.perf_counter() - start) * 1e6)
    return [(statistics.median(kept), sorted(kept)[int(len(kept) * 0.95)]) for kept in samples]


def fill(users, sign_ins_per_user):
    """Users and their sign-ins (bulk); returns (a user id, the token of one of its live sign-ins)."""
    from tracker import clock
    from tracker.extensions import db
    from tracker.models import SignIn, User
    from tracker.services.accounts import sign_ins

    now = clock.now()
    probe = User(username="probe", display_name="probe", role="supervisor")
    probe.set_password(PASSWORD)
    db.session.execute(db.insert(User), [
        {"username": f"user{i}", "display_name": f"user{i}", "role": "supervisor", "is_active": True,
         "password_hash": probe.password_hash, "is_principal": False, "must_change_password": False,
         "created_at": now} for i in range(users)])
    ids = db.session.scalars(db.select(User.id)).all()
    rows = [{"user_id": user_id, "token_hash": uuid.uuid4().hex * 2, "is_remembered": n % 2 == 0,
             "created_at": now, "expires_at": now + timedelta(days=14 if n % 2 == 0 else -1),
             "ended_at": now if n % 3 == 0 else None}
            for user_id in ids for n in range(sign_ins_per_user)]
    db.session.execute(db.insert(SignIn), rows)
    db.session.commit()
    user = db.session.get(User, ids[len(ids) // 2])
    sign_ins.start(user, remember=True, client_addr="10.0.0.5", user_agent="bench")
    return user.id, user.sign_in_token


def measure(url, users, per_user, runs):
    """Build the tables at `url`, time both loaders and a whole request; returns a dict of figures."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services.accounts import sign_ins

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        user_id, token = fill(users, per_user)
        count = db.session.scalar(db.select(db.func.count()).select_from(sign_ins.SignIn))

        def old_loader():
            """The loader before issue 13: the user by primary key."""
            db.session.expunge_all()
            assert db.session.get(User, user_id) is not None

        def new_loader():
            """The loader now: the live sign-in by its token hash, joined with its user."""
            db.session.expunge_all()
            assert sign_ins.load(token) is not None

        figures = {"rows": count}
        figures["old"], figures["new"] = timed([old_loader, new_loader], runs)
        db.session.remove()
    browser = app.test_client()
    browser.post("/auth/login", data={"username": f"user{users // 3}", "password": PASSWORD})
    checked_loader = app.login_manager._user_callback

    def unchecked_loader(token):
        """The same user, read by id as before issue 13: what a request costs without the sign-in check."""
        user = db.session.get(User, user_id)
        user.sign_in_token = token
        return user

    def page(loader):
        """One GET /inbox/ with `loader` as the user loader."""
        app.login_manager._user_callback = loader
        assert browser.get("/inbox/").status_code == 200

    figures["request_unchecked"], figures["request"] = timed(
        [lambda: page(unchecked_loader), lambda: page(checked_loader)], max(runs // 5, 100))
    app.login_manager._user_callback = checked_loader
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return figures


def pg_schema_url(url):
    """A URL into a new schema of the PostgreSQL database at `url`, and a function dropping it."""
    import sqlalchemy as sa

    base = sa.engine.make_url(url)
    schema = "bench_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))

    def drop():
        """Drop the schema and its tables."""
        with engine.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    return scoped.render_as_string(hide_password=False), drop


def report(name, figures):
    """Print one database's figures."""
    old, new, request = figures["old"], figures["new"], figures["request"]
    print(f"{name}: {figures['rows']:,} sign-in rows")
    print(f"  user by id (before issue 13)     median {old[0]:7.0f} µs   p95 {old[1]:7.0f} µs")
    print(f"  sign-in by token + user (now)    median {new[0]:7.0f} µs   p95 {new[1]:7.0f} µs"
          f"   (+{new[0] - old[0]:.0f} µs)")
    unchecked = figures["request_unchecked"]
    print(f"  GET /inbox/, user read by id     median {unchecked[0]:7.0f} µs   p95 {unchecked[1]:7.0f} µs")
    print(f"  GET /inbox/, sign-in checked     median {request[0]:7.0f} µs   p95 {request[1]:7.0f} µs"
          f"   (the check's extra cost: {new[0] - old[0]:.0f} µs = {100 * (new[0] - old[0]) / request[0]:.1f} %"
          " of the page)")


def main():
    """Parse the arguments, measure SQLite and (when given) PostgreSQL, print."""
    import logging

    logging.disable(logging.INFO)  # the migrations' progress lines
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="PostgreSQL URL (a schema of its own is created and dropped)")
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--per-user", type=int, default=10, help="sign-in rows per user")
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs per loader")
    with tempfile.TemporaryDirectory() as directory:
        report("SQLite", measure(f"sqlite:///{directory}/bench.sqlite3", args.users, args.per_user, args.runs))
    if args.pg:
        url, drop = pg_schema_url(args.pg)
        try:
            report("PostgreSQL", measure(url, args.users, args.per_user, args.runs))
        finally:
            drop()


if __name__ == "__main__":
    main()
