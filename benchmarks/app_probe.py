"""In-process measurements against the benchmark database, printed as one JSON line.

    python benchmarks/app_probe.py plan --clients 8                # the load plan: users and their pages
    python benchmarks/app_probe.py pages                            # SQL statements per page, one request each
    python benchmarks/app_probe.py alert                            # the weekly alert: seconds and statements
    python benchmarks/app_probe.py writer                           # who urges during --write-every, and which tasks
    python benchmarks/app_probe.py cleanup                          # delete what that writer wrote

Run with the environment of the benchmark's app (DATABASE_URL, TRACKER_ENV,
SECRET_KEY). The weekly alert is the real job (alerts.run_weekly_alert, what
the scheduler calls) for this week; when this week was already sent it is a
forced resend. The in-app messages and outbox rows it wrote are deleted
afterwards (the week's run record stays, so the scheduler started next does not
catch it up during the load), so every benchmark run starts from the same data.
"""
import argparse
import json
import os
import random
import sys
import time
from urllib.parse import quote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from benchmarks.sqlcount import counting  # noqa: E402
from tracker import caching, create_app  # noqa: E402
from tracker.extensions import db  # noqa: E402

# Searches the office types: phrases of three or more characters (see RESULTS.md on two-character ones).
SEARCHES = ("污水管网", "高标准农田", "农村生活污水", "招商引资", "营商环境", "ZG2026-0012")
# Eight clients: three of the office, a county leader, two unit heads and two unit staff of other units.
ROLE_MIX = ("supervisor", "unit_head", "supervisor", "unit_staff", "leader", "unit_head", "supervisor", "unit_staff")


WEIGHTS = {"dashboard": 2, "task list": 4, "task detail": 4, "indicator board": 1, "inbox": 1}


def pages_for(role, task_ids, lead_units, period_id, rng):
    """page → the paths a user of `role` picks from (uniformly, once the page is drawn by WEIGHTS)."""
    lists = ["/tasks/", "/tasks/?light=red", "/tasks/?light=yellow"]
    if role in ("supervisor", "leader"):
        lists += [f"/tasks/?lead_unit={unit}" for unit in rng.sample(lead_units, 3)]
        lists += [f"/tasks/?q={quote(q)}" for q in rng.sample(SEARCHES, 2)]
    else:
        lists += ["/tasks/?mine=all", "/tasks/?status=in_progress"]
    pages = {"dashboard": ["/"], "task list": lists, "task detail": [f"/tasks/{task_id}" for task_id in task_ids],
             "inbox": ["/inbox/"]}
    if role in ("supervisor", "leader") and period_id:
        pages["indicator board"] = [f"/indicators/periods/{period_id}"]
    return pages


def make_plan(clients, seed):
    """Users of several roles (those of `flask seed-scale`) and, for each, the pages it requests."""
    from tracker import permissions
    from tracker.models import AssessmentPeriod, RectificationTask, Unit, User

    rng = random.Random(seed)
    period_id = db.session.scalar(db.select(AssessmentPeriod.id).order_by(AssessmentPeriod.ends_on.desc()).limit(1))
    lead_units = db.session.scalars(db.select(Unit.id).order_by(Unit.id)).all()
    taken, plan = {}, []
    for number in range(clients):
        role = ROLE_MIX[number % len(ROLE_MIX)]
        taken[role] = taken.get(role, 0) + 1
        unit_number = 1 + (taken[role] - 1) * 37 % len(lead_units)
        username = {"supervisor": f"supervisor{taken[role]}", "leader": f"leader{taken[role]}",
                    "unit_head": f"unit{unit_number:03d}head", "unit_staff": f"unit{unit_number:03d}staff1"}[role]
        user = db.session.scalar(db.select(User).where(User.username == username))
        ids = db.session.scalars(db.select(RectificationTask.id).where(permissions.visible_tasks_clause(user))
                                 .order_by(db.func.random()).limit(200)).all()
        pages = pages_for(role, ids, lead_units, period_id, rng)
        plan.append({"username": username, "role": role, "pages": pages,
                     "weights": {page: WEIGHTS[page] for page in pages}})
    return plan


WRITE_MARK = "请加快进度（性能测试）"  # the writer's urges carry this message, so cleanup finds exactly them


def writer_plan(seed):
    """A supervisor who is not one of the load's clients, and 200 tasks in progress to urge."""
    from tracker.models import RectificationTask, User

    rng = random.Random(seed)
    username = db.session.scalar(db.select(User.username).where(User.role == "supervisor")
                                 .order_by(User.id.desc()).limit(1))
    ids = db.session.scalars(db.select(RectificationTask.id).where(RectificationTask.status == "in_progress")
                             .order_by(RectificationTask.id)).all()
    return {"username": username, "task_ids": rng.sample(ids, min(200, len(ids))), "message": WRITE_MARK}


def cleanup_writes():
    """Delete the writer's urges with their audit entries, messages and form tokens: the next run's data is the same."""
    from tracker.models import AuditEntry, Notification, Urge
    from tracker.models.activity import UsedFormToken

    ids = db.session.scalars(db.select(Urge.id).where(Urge.message == WRITE_MARK)).all()
    writers = db.select(Urge.urged_by_id).where(Urge.id.in_(ids)).distinct().scalar_subquery()
    if ids:
        db.session.execute(db.delete(UsedFormToken).where(UsedFormToken.user_id.in_(writers)))
        db.session.execute(db.delete(AuditEntry).where(AuditEntry.action == "urged", AuditEntry.object_id.in_(ids)))
        db.session.execute(db.delete(Notification).where(Notification.body == WRITE_MARK))
        db.session.execute(db.delete(Urge).where(Urge.id.in_(ids)))
        db.session.commit()
    return {"urges_deleted": len(ids)}


def forget_request_state():
    """Clear `g`: these requests share the probe's app context, where a server gives each its own."""
    from flask import g

    for name in list(g):
        g.pop(name)


def page_statements(app):
    """SQL statements of one request of each page kind, for a supervisor and a unit head (after a warm-up)."""
    from tracker.models import AssessmentPeriod, RectificationTask, User

    app.config["WTF_CSRF_ENABLED"] = False
    found = {}
    for username in ("supervisor1", "unit001head"):
        forget_request_state()
        client = app.test_client()
        client.post("/auth/login", data={"username": username, "password": "bench12345"})
        user = db.session.scalar(db.select(User).where(User.username == username))
        from tracker import permissions

        task_id = db.session.scalar(db.select(RectificationTask.id).where(permissions.visible_tasks_clause(user))
                                    .order_by(RectificationTask.id).limit(1))
        period_id = db.session.scalar(db.select(AssessmentPeriod.id).order_by(AssessmentPeriod.id.desc()).limit(1))
        paths = {"dashboard": "/", "task list": "/tasks/", "task list ?light=red": "/tasks/?light=red",
                 "task detail": f"/tasks/{task_id}", "inbox": "/inbox/"}
        if username == "supervisor1":
            paths["indicator board"] = f"/indicators/periods/{period_id}"
            paths["task list ?q="] = f"/tasks/?q={SEARCHES[0]}"
        for page, path in paths.items():
            client.get(path)
            forget_request_state()
            with db.engine.begin() as connection:  # as after somebody's change: nothing kept is valid
                connection.execute(caching.raise_statement(connection.dialect.name))
            with counting(db.engine) as cold:
                status = client.get(path).status_code
            forget_request_state()
            with counting(db.engine) as warm:
                client.get(path)
            found[f"{page} ({username})"] = {"statements": cold.count, "repeat": warm.count, "status": status}
        db.session.remove()
    return found


def weekly_alert():
    """Run this week's alert for real, count its statements, then delete the messages it wrote."""
    from tracker import clock
    from tracker.models import AuditEntry, JobRun, Notification, OutboxMessage
    from tracker.services import job_runs
    from tracker.services.alerts import weekly

    today = clock.today()
    forced = job_runs.is_done(weekly.JOB, weekly.week_key(today))
    before = db.session.scalar(db.select(db.func.max(Notification.id))) or 0
    db.session.remove()
    with counting(db.engine) as counter:
        started = time.perf_counter()
        outcome = weekly.run_weekly_alert(today, trigger="cli", force=forced)
        seconds = time.perf_counter() - started
    run = outcome.run
    figures = {"seconds": seconds, "statements": counter.count, "forced": forced, "week": outcome.period_key,
               "status": run.status if run else None, "messages": run.message_count if run else 0,
               "details": outcome.details, "notes": (run.notes or "")[:300] if run else outcome.skipped_reason}
    if run is not None:
        db.session.execute(db.delete(OutboxMessage).where(OutboxMessage.job_run_id == run.id))
        db.session.execute(db.delete(Notification).where(Notification.id > before,
                                                         Notification.kind == weekly.KIND))
        if forced:  # the resend's own record and its audit entry: the week keeps its first run only
            db.session.execute(db.delete(AuditEntry).where(AuditEntry.object_type == "job_run",
                                                           AuditEntry.object_id == run.id))
            db.session.execute(db.delete(JobRun).where(JobRun.id == run.id))
        db.session.commit()
    return figures


def main():
    """Run one measurement and print it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("plan", "pages", "alert", "writer", "cleanup"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    app = create_app()
    with app.app_context():
        if args.what == "plan":
            result = make_plan(args.clients, args.seed)
        elif args.what == "pages":
            result = page_statements(app)
        elif args.what == "writer":
            result = writer_plan(args.seed)
        elif args.what == "cleanup":
            result = cleanup_writes()
        else:
            result = weekly_alert()
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
