"""EXPLAIN ANALYZE every SQL statement of the main pages, as the app runs them, on the benchmark database.

    DATABASE_URL=postgresql://…/tracker_bench TRACKER_ENV=production SECRET_KEY=$(openssl rand -hex 32) \\
        .venv/bin/python benchmarks/explain_pages.py [--runs 5]

Each page is requested in-process (test client, the users of `flask seed-scale`);
every SELECT it sent is then run again under EXPLAIN (ANALYZE) with the same
parameters, `--runs` times, and the median execution time kept. Prints, per
page, the number of statements, the sum of their execution times, and the
slowest one with its top plan nodes. Run it before and after a migration to see
what an index changes (benchmarks/RESULTS.md, "Indexes").
"""
import argparse
import json
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from sqlalchemy import event  # noqa: E402

from tracker import create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402

PAGES = (
    ("supervisor1", "/tasks/"), ("supervisor1", "/tasks/?light=red"), ("supervisor1", "/tasks/?light=yellow"),
    ("supervisor1", "/tasks/?lead_unit=5"), ("supervisor1", "/tasks/?q=污水管网"),
    ("supervisor1", "/tasks/?q=高标准农田"), ("supervisor1", "/tasks/50000"), ("supervisor1", "/inbox/"),
    ("supervisor1", "/indicators/periods/1"), ("supervisor1", "/"),
    ("leader1", "/tasks/"), ("leader1", "/"),
    ("unit001head", "/tasks/"), ("unit001head", "/tasks/?mine=all"), ("unit001head", "/tasks/?light=red"),
    ("unit001head", "/"),
)


def capture(app, username, path):
    """The (statement, parameters) the page sends, in order."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    client = app.test_client()
    client.post("/auth/login", data={"username": username, "password": "bench12345"})
    client.get(path)
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            client.get(path)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def explain(statement, parameters, runs):
    """(median execution ms, the plan's top node types) of one statement."""
    times, plan = [], None
    with db.engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for _run in range(runs):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters)
            result = cursor.fetchone()[0]
            result = result if isinstance(result, list) else json.loads(result)
            times.append(result[0]["Execution Time"])
            plan = result[0]["Plan"]
        cursor.close()
    return statistics.median(times), describe(plan)


def describe(plan, depth=0, limit=3):
    """The first few plan nodes, with the index each uses."""
    name = plan["Node Type"] + (f" {plan['Index Name']}" if plan.get("Index Name") else "")
    if depth + 1 >= limit or not plan.get("Plans"):
        return name
    return name + " < " + describe(plan["Plans"][0], depth + 1, limit)


def main():
    """Explain every page and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    print("| user | page | statements | SQL ms (sum) | slowest ms | slowest plan |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for username, path in PAGES:
        statements = [(s, p) for s, p in capture(app, username, path) if s.lstrip().upper().startswith("SELECT")]
        with app.app_context():
            measured = [(*explain(s, p, args.runs), s) for s, p in statements]
        total = sum(ms for ms, _plan, _s in measured)
        slowest = max(measured, key=lambda item: item[0])
        print(f"| {username} | `{path}` | {len(measured)} | {total:.1f} | {slowest[0]:.1f} | {slowest[1]} |")


if __name__ == "__main__":
    main()
