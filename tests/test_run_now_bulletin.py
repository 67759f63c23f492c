"""The monthly bulletin's "run now" and its month-end run (issue 13, failure 5)."""
from datetime import datetime

from tests.bulletin_helpers import SHANGHAI
from tracker import clock
from tracker.extensions import db
from tracker.jobs import schedule
from tracker.models import Bulletin, JobRun, User

LAST_DAY_MORNING = datetime(2026, 12, 31, 10, 0, tzinfo=SHANGHAI)
MONTH_END = datetime(2026, 12, 31, 17, 0, tzinfo=SHANGHAI)


def months(app):
    """(month, status) of every bulletin, by month."""
    with app.app_context():
        return db.session.execute(db.select(Bulletin.month, Bulletin.status).order_by(Bulletin.month)).all()


def test_run_now_drafts_the_last_ended_month_and_the_month_end_run_still_runs(app, bulletin_county):
    """On the morning of 31 December, does "run now" draft November (the last ended month), and does the
    17:00 month-end run then still draft December rather than skip it?"""
    with app.app_context():
        supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        with clock.frozen(LAST_DAY_MORNING):
            first = schedule.run_monthly_bulletin(trigger="admin", actor=supervisor)
            again = schedule.run_monthly_bulletin(trigger="admin", actor=supervisor)  # drafted again, not skipped
        assert first.ran and again.ran
        assert months(app) == [("2026-11", "draft")]
        with clock.frozen(MONTH_END):
            month_end = schedule.run_monthly_bulletin(trigger="scheduler", fired_at=MONTH_END)
        assert month_end.ran and month_end.period_key == "2026-12"
        assert months(app) == [("2026-11", "draft"), ("2026-12", "draft")]
        keys = db.session.scalars(db.select(JobRun.period_key).order_by(JobRun.id)).all()
        assert keys == ["2026-11+m1", "2026-11+m2", "2026-12"]


def test_the_month_end_run_regenerates_a_draft_made_earlier(app, bulletin_county):
    """When the office drafted December by hand that morning, does the month-end run generate it again?"""
    from tracker.services.bulletins import lifecycle

    with app.app_context():
        supervisor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        with clock.frozen(LAST_DAY_MORNING):
            earlier = lifecycle.generate_draft(supervisor, "2026-12").file_path
        with clock.frozen(MONTH_END):
            month_end = schedule.run_monthly_bulletin(trigger="scheduler", fired_at=MONTH_END)
        assert month_end.ran
        bulletin = db.session.scalar(db.select(Bulletin).where(Bulletin.month == "2026-12"))
        assert bulletin.file_path != earlier and bulletin.generated_at == MONTH_END
