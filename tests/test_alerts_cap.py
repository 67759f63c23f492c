"""The weekly alert's row cap (ALERT_MAX_ROWS): the worst tasks listed, the rest counted and linked, every channel."""
import random
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from tests.alerts_helpers import BASE_URL, MONDAY, html_part, text_part
from tests.conftest import make_task, make_unit
from tracker import clock
from tracker.extensions import db
from tracker.models import Notification, Unit, User
from tracker.services.alerts import render, weekly
from tracker.services.messaging import outbox, webhooks

SUPERVISOR, WATER_HEAD, LEADER = "ducha@yunxi.example", "shuili-head@yunxi.example", "wang@yunxi.example"
CODE = re.compile(r"ZG-R\d{3}|ZG-00\d")


def add_late_tasks(unit, days_late, title="逾期整改任务", **fields):
    """Red tasks of `unit`, one per number of days late, added in shuffled order (code ZG-R<days>)."""
    days_late = list(days_late)
    random.Random(8).shuffle(days_late)  # the digest's order must come from its sort, not from insertion
    for late in days_late:
        make_task(f"{title}（逾期{late}天）", unit, deadline_on=MONDAY - timedelta(days=late), code=f"ZG-R{late:03d}",
                  dispatched_at=clock.now() - timedelta(days=200), last_reported_at=clock.now(), **fields)
    db.session.commit()


def send_week(app):
    """Run this week's alert and deliver the outbox."""
    with app.app_context():
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()


def codes(text):
    """The task codes a message lists, in order of appearance, each once."""
    return list(dict.fromkeys(CODE.findall(text)))


def in_chinese(message, *args, **variables):
    """A message as a Chinese reader gets it (ngettext when a count is given)."""
    with force_locale("zh_CN"):
        return ngettext(message[0], message[1], *args, **variables) if isinstance(message, tuple) \
            else _(message, **variables)


def prefer_english(alert_county, *keys):
    """Give some readers English, so the test can check wording that must be absent."""
    for key in keys:
        db.session.get(User, alert_county["users"][key]).locale = "en"
    db.session.commit()


MORE_RED = ("%(num)d more red task is not listed here; the task list shows them all.",
            "%(num)d more red tasks are not listed here; the task list shows them all.")
MORE_BOTH = ("%(num)d more task (%(red)d red, %(yellow)d yellow) is not listed here; the task list shows them all.",
             "%(num)d more tasks (%(red)d red, %(yellow)d yellow) are not listed here; the task list shows them all.")


def test_summary_over_the_cap_lists_the_worst_and_links_the_rest(app, client, auth, alert_county, smtp_server):
    """With more red tasks than the cap, does the county summary list exactly the cap, worst first, say how many
    more there are, link the list that shows them all, and still count every lead unit in full?"""
    app.config["ALERT_MAX_ROWS"] = 5
    with app.app_context():
        add_late_tasks(db.session.get(Unit, alert_county["units"]["commerce"]), range(20, 32))  # 12 more red tasks
    send_week(app)
    [mail] = smtp_server.mail_to(SUPERVISOR)
    html, text = html_part(mail), text_part(mail)
    worst = ["ZG-R031", "ZG-R030", "ZG-R029", "ZG-R028", "ZG-R027"]
    assert codes(text) == worst and codes(html) == worst
    with app.app_context():
        more = in_chinese(MORE_RED, 9)  # 14 red tasks, 5 listed
        assert more in text and more in html
        assert in_chinese("%(unit)s: %(red)d red, %(yellow)d yellow", unit="县商务局", red=13, yellow=0) in text
        assert in_chinese("%(unit)s: %(red)d red, %(yellow)d yellow", unit="县水利局", red=1, yellow=1) in text
        assert html.count(more) == 1 and text.count(more) == 1
        note = db.session.scalars(db.select(Notification).where(
            Notification.user_id == alert_county["users"]["supervisor2"])).one()  # no email: in-app only
    assert codes(note.body) == worst and more in note.body and BASE_URL not in note.body
    full_list = f"{BASE_URL}/tasks/?light=red"
    assert f'href="{full_list}"' in html and full_list in text
    auth.login("supervisor")
    listing = client.get(full_list.removeprefix(BASE_URL)).get_data(as_text=True)
    # Every red task of the alert is there (the office's list also shows its drafts past their deadline).
    assert set(CODE.findall(listing)) >= {f"ZG-R{n:03d}" for n in range(20, 32)} | {"ZG-001", "ZG-003"}


def test_at_or_under_the_cap_nothing_is_said(app, alert_county, smtp_server):
    """When a digest has no more tasks than the cap, does it list them all without a word about more?"""
    app.config["ALERT_MAX_ROWS"] = 2  # the summary has exactly 2 red tasks; the leader's digest 1
    with app.app_context():
        prefer_english(alert_county, "supervisor", "leader")
    send_week(app)
    for address, expected in ((SUPERVISOR, ["ZG-003", "ZG-001"]), (LEADER, ["ZG-001"])):
        [mail] = smtp_server.mail_to(address)
        for part in (html_part(mail), text_part(mail)):
            assert codes(part) == expected
            assert "not listed here" not in part and "most urgent" not in part
            assert "Open the task list" in part


def test_a_units_digest_keeps_the_worst_of_lead_and_co_tasks(app, alert_county, smtp_server, robot_server):
    """Does a unit over the cap keep its worst tasks whether it leads or co-organizes them, and link the yellow
    list for the yellow task it leaves out, by mail, in-app and to its group robot?"""
    app.config["ALERT_MAX_ROWS"] = 2
    with app.app_context():
        prefer_english(alert_county, "water_head", "water_noemail")
        admin = db.session.get(User, alert_county["users"]["admin"])
        webhooks.set_unit_webhook(admin, db.session.get(Unit, alert_county["units"]["water"]), "wecom",
                                  f"{robot_server.url}/cgi-bin/webhook/send?key=K", None)
    send_week(app)
    text = text_part(smtp_server.mail_to(WATER_HEAD)[0])
    robot = robot_server.requests[0]["json"]["markdown"]["content"]
    with app.app_context():
        inapp = db.session.scalars(db.select(Notification.body).where(
            Notification.user_id == alert_county["users"]["water_noemail"])).one()
    # ZG-003 (co-organized, 12 days late) and ZG-001 (led, 5 days late) beat ZG-002 (yellow, led).
    assert codes(text) == ["ZG-001", "ZG-003"]  # shown in their sections: led first
    assert "The 2 most urgent tasks are listed below." in text
    assert "1 more yellow task is not listed here" in text and "1 more yellow task is not listed here" in inapp
    assert f"{BASE_URL}/tasks/?light=yellow" in text and f"{BASE_URL}/tasks/?light=red" not in text
    assert codes(robot) == ["ZG-001", "ZG-003"] and f"({BASE_URL}/tasks/?light=yellow)" in robot
    with app.app_context():
        assert in_chinese(("%(num)d more yellow task is not listed here; the task list shows them all.",
                           "%(num)d more yellow tasks are not listed here; the task list shows them all."), 1) \
            in robot.splitlines()[-1]  # robots speak the default language


def test_a_leaders_link_shows_exactly_his_listed_tasks(app, client, auth, alert_county, smtp_server):
    """Does a leader's capped digest link the list of the 挂牌 tasks he answers for, and does that list show them?"""
    app.config["ALERT_MAX_ROWS"] = 1
    with app.app_context():
        leader = db.session.get(User, alert_county["users"]["leader"])
        add_late_tasks(db.session.get(Unit, alert_county["units"]["town"]), [30], supervision_level="listed",
                       responsible_leader=leader)
    send_week(app)
    html = html_part(smtp_server.mail_to(LEADER)[0])
    assert codes(html) == ["ZG-R030"]
    [link] = re.findall(r'href="([^"]*/tasks/\?[^"]*)"', html)
    assert parse_qs(urlsplit(link.replace("&amp;", "&")).query) == {
        "light": ["red"], "level": ["listed"], "leader": [str(alert_county["users"]["leader"])]}
    auth.login("leader")
    listing = client.get(link.replace("&amp;", "&").removeprefix(BASE_URL)).get_data(as_text=True)
    assert set(CODE.findall(listing)) == {"ZG-R030", "ZG-001"}


def test_robot_message_fits_and_counts_everything_it_leaves_out(app, alert_county, smtp_server, robot_server):
    """When even the capped rows are too long for a group robot, does the message stay under the WeCom limit,
    keep the worst tasks, and say how many more there are in all (cap and cut together)?"""
    with app.app_context():
        water = db.session.get(Unit, alert_county["units"]["water"])
        add_late_tasks(water, range(20, 90), title="农村饮水安全巩固提升工程建设进度滞后问题整改任务")  # 70 red
        admin = db.session.get(User, alert_county["users"]["admin"])
        webhooks.set_unit_webhook(admin, water, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=K", None)
    send_week(app)
    content = robot_server.requests[0]["json"]["markdown"]["content"]
    listed = codes(content)
    assert len(content.encode()) <= render.MAX_MARKDOWN_BYTES < 4096
    assert 10 < len(listed) < app.config["ALERT_MAX_ROWS"]  # cut by size, below the cap
    assert listed == [f"ZG-R{late:03d}" for late in range(89, 89 - len(listed), -1)]  # most days late first
    with app.app_context():  # 70 + ZG-001, ZG-003 red, ZG-002 yellow
        more = in_chinese(MORE_BOTH, 73 - len(listed), red=72 - len(listed), yellow=1)
    assert more in content.splitlines()[-1]
    assert f"({BASE_URL}/tasks/?light=red)" in content and f"({BASE_URL}/tasks/?light=yellow)" in content


def test_supervisors_mail_stays_small_with_hundreds_of_red_tasks(app, alert_county, smtp_server):
    """With 300 red tasks in 30 units, is the summary the supervisor receives under 100 kB, listing the default 50
    while counting all 30 units?"""
    with app.app_context():
        for n in range(30):
            add_late_tasks(make_unit(f"县第{n + 1}局"), range(20 + 10 * n, 30 + 10 * n),
                           title="城区背街小巷环境卫生整治不到位问题整改")
    send_week(app)
    [mail] = smtp_server.mail_to(SUPERVISOR)
    html, text = html_part(mail), text_part(mail)
    size = len(mail.as_bytes())
    assert size < 100_000, size  # 70 kB; listing all 302 rows: 339 kB
    assert len(re.findall(rf'href="{BASE_URL}/tasks/\d+"', html)) == 50
    assert codes(text)[:2] == ["ZG-R319", "ZG-R318"]
    assert all(f"县第{n + 1}局" in html for n in range(30))
    with app.app_context():
        assert in_chinese(MORE_RED, 252) in text


def test_dry_run_says_how_many_are_left_out(app, alert_county, runner):
    """Does `flask alerts weekly --dry-run` list the capped rows and say how many more each digest has?"""
    app.config["ALERT_MAX_ROWS"] = 1
    result = runner.invoke(args=["alerts", "weekly", "--on", "2026-11-23", "--dry-run"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert in_chinese(MORE_RED, 1) in result.output  # the summary: ZG-003 listed, ZG-001 counted
