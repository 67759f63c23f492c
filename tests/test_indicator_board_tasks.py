"""Does the indicator board name each indicator's open tasks as each viewer may see them?"""
import re

from tests.test_indicator_pages import draft_fields, login, result_id
from tracker.extensions import db
from tracker.models import RectificationTask


def row(board, indicator):
    """The board's table row of one indicator."""
    return re.search(r'<tr data-indicator="%s">(.*?)</tr>' % re.escape(indicator), board, re.S).group(1)


def test_board_names_open_tasks_by_viewer(app, client, imported):
    """Does the office see every open task with its status, and a leader only theirs, the others counted?"""
    login(client, "supervisor")
    period = imported["current"]
    names = ("民间投资增速", "社会消费品零售总额增速")
    with app.app_context():
        ids = [result_id(name, period) for name in names]
    url = f"/indicators/periods/{period}/generate"
    data = draft_fields(client.get(f"{url}?result={ids[0]}&result={ids[1]}").get_data(as_text=True))
    client.post(url, data={**data, "dispatch": "y"})
    with app.app_context():
        mine, theirs = db.session.scalars(db.select(RectificationTask).order_by(RectificationTask.id)).all()
        assert mine.responsible_leader.title == "常务副县长"
    office = client.get(f"/indicators/periods/{period}").get_data(as_text=True)
    for name, task in zip(names, (mine, theirs), strict=True):
        cells = row(office, name)
        assert f'href="/tasks/{task.id}">{task.code}</a>' in cells and "To accept" in cells
        assert f'id="pick-{task.indicator_result_id}"' not in cells.split("<label")[0]  # no second task proposed
    client.post("/auth/logout")
    login(client, "leader0")  # 常务副县长
    board = client.get(f"/indicators/periods/{period}").get_data(as_text=True)
    assert mine.code in row(board, names[0]) and "you cannot open" not in row(board, names[0])
    assert theirs.code not in row(board, names[1]) and "1 open task you cannot open" in row(board, names[1])
