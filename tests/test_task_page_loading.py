"""Does the task page name every person, unit and file of a task's history, loaded in a handful of statements?"""
import re

from benchmarks.sqlcount import counting
from tests.conftest import DEMO_PASSWORD
from tests.query_count_helpers import NOON, build_county
from tracker import clock
from tracker.extensions import db
from tracker.models import CloseoutRequest, ExtensionRequest, Milestone, ProgressReport, RectificationTask, Urge
from tracker.services.tasks import notices

# The page's statements today: the user, the task, five kinds of records, the audit trail, the people
# (unit heads included), the units, the indicator result, the files, the unread count, the task's
# 督办/催办通知单 with their units (14). A statement per kind of person, per unit or per file would show as more.
MOST_STATEMENTS = 16


def names_on_the_page(task):
    """Every name the task page must show: who made, decided or did each record, the task's people and units."""
    people = [task.owner, task.responsible_leader, task.created_by]
    people += [urge.urged_by for urge in db.session.scalars(db.select(Urge).filter_by(task_id=task.id))]
    for request_ in db.session.scalars(db.select(ExtensionRequest).filter_by(task_id=task.id)):
        people += [request_.requested_by, request_.decided_by]  # the decider in the deadline history
    closeouts = db.session.scalars(db.select(CloseoutRequest).filter_by(task_id=task.id)
                                   .order_by(CloseoutRequest.id)).all()
    people += [request_.requested_by for request_ in closeouts] + [closeouts[-1].decided_by]  # the last refusal
    reports = db.session.scalars(db.select(ProgressReport).filter_by(task_id=task.id)).all()
    people += [report.author for report in reports]
    people += [m.done_by for m in db.session.scalars(db.select(Milestone).filter_by(task_id=task.id)) if m.done_by]
    units = [task.lead_unit, *task.co_units, *(report.unit for report in reports)]
    return {person.display_name for person in people} | {unit.name for unit in units}


def test_task_page_names_everyone_in_few_statements(app, client):
    """With three of every record by different people, are all named, every file listed, in a handful of statements?"""
    with app.app_context():
        ids = build_county(3)
        task = db.session.get(RectificationTask, ids["task"])
        with clock.frozen(NOON):  # three notices (a reassigned task's): listed with their units in one statement
            numbers = [notices.issue_dispatch_notice(None, task).doc_number for _ in range(3)]
        db.session.commit()
        expected = names_on_the_page(task) | set(numbers)
        indicator = task.indicator_result.indicator.name
    assert len(expected) > 25
    with clock.frozen(NOON):
        client.post("/auth/login", data={"username": ids["viewers"]["supervisor"], "password": DEMO_PASSWORD})
        client.get(f"/tasks/{ids['task']}")
        with app.app_context(), counting(db.engine) as counter:
            html = client.get(f"/tasks/{ids['task']}").get_data(as_text=True)
    missing = [name for name in expected if not re.search(re.escape(name) + r"(?!\d)", html)]
    assert missing == []
    assert indicator in html
    assert html.count('class="attachment-link"') == 6  # a photo on each of 3 reports, a file on each of 3 close-outs
    assert counter.count <= MOST_STATEMENTS, "\n".join(statement[:120] for statement in counter.statements)
