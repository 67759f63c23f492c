"""Fixtures of the dashboard and figure-cache tests: a unit's tasks in every state, and a statement counter."""
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from tests.workflow_helpers import TODAY, new_task
from tracker import clock
from tracker.extensions import db
from tracker.models import AssessmentPeriod, Urge


@contextmanager
def statements(app):
    """Count the SQL statements the app runs inside the block: yields a list that fills with them."""
    seen = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        """Keep one statement about to run."""
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def spread(app, flow):
    """Tasks of 县水利局 (and one of 县商务局) in every state, with a period, an urge and leaders; ids only."""
    with app.app_context():
        period = AssessmentPeriod(name="2026年上半年考核", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30))
        db.session.add(period)
        db.session.flush()
        now = clock.now()
        tasks = {
            "overdue": new_task(flow, "in_progress", title="防汛物资储备不足", deadline_on=TODAY - timedelta(days=12),
                                period_id=period.id),
            "late_review": new_task(flow, "pending_review", title="逾期后申请销号",
                                    deadline_on=TODAY - timedelta(days=3)),
            "soon": new_task(flow, "in_progress", title="即将到期", deadline_on=TODAY + timedelta(days=3),
                             last_reported_at=now, period_id=period.id),
            "green": new_task(flow, "assigned", title="刚交办", last_reported_at=now),
            "on_time": new_task(flow, "closed", title="按期销号", deadline_on=TODAY - timedelta(days=30),
                                closeout_requested_at=now - timedelta(days=40), period_id=period.id),
            "late": new_task(flow, "closed", title="逾期销号", deadline_on=TODAY - timedelta(days=30),
                             closeout_requested_at=now - timedelta(days=20)),
            "draft": new_task(flow, "draft", title="草稿任务"),
            "cancelled": new_task(flow, "cancelled", title="已撤销任务"),
        }
        other = new_task(flow, "in_progress", title="商务局任务", deadline_on=TODAY - timedelta(days=1))
        other.lead_unit_id, other.co_units, other.responsible_leader_id = flow["units"]["other"], [], None
        db.session.add(Urge(task_id=tasks["overdue"].id, unit_id=flow["units"]["water"],
                            urged_by_id=flow["users"]["supervisor"], message="请加快", created_at=now))
        db.session.commit()
        return {"period": period.id, "tasks": {k: t.id for k, t in tasks.items()}, "other": other.id}
