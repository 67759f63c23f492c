"""One process of the 文号 race (tests/test_notices.py): wait for the start file, then dispatch the given tasks.

Run as `python -m tests.notice_race DATABASE_URL START_FILE TASK_ID …`; prints one line per task:
the 文号 it got. A dispatch the database refused for its lock (SQLite) is tried again, as a user would.
"""
import os
import sys
import time

from sqlalchemy.exc import OperationalError

from tracker import create_app
from tracker.extensions import db
from tracker.models import RectificationTask, User
from tracker.services.tasks import notices, workflow


def main(url, start_file, task_ids):
    """Dispatch each task as the supervisor once the start file appears."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        actor = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        actor_id = actor.id
        while not os.path.exists(start_file):
            time.sleep(0.01)
        for task_id in task_ids:
            for _attempt in range(50):
                try:
                    task = db.session.get(RectificationTask, task_id)
                    workflow.dispatch(db.session.get(User, actor_id), task)
                    break
                except OperationalError:
                    db.session.rollback()
                    time.sleep(0.05)
            print(task_id, notices.latest(db.session.get(RectificationTask, task_id), "dispatch").doc_number,
                  flush=True)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(value) for value in sys.argv[3:]])
