"""The scheduled-jobs page: who may open it, run now, resend, the outbox with its errors, retry."""
import re

import pytest

from tests.alerts_helpers import MailSink, SmtpServer, free_port, point_mail_at, run_requests
from tracker.extensions import db
from tracker.models import JobRun, OutboxMessage


def login(client, auth, username):
    """Log in, pages in English."""
    auth.logout()
    auth.login(username)
    client.post("/lang/en")


@pytest.mark.parametrize("username, status", [
    ("admin", 200), ("supervisor", 200), ("leader", 403), ("waterhead", 403), ("waterstaff", 403),
])
def test_who_may_open_the_jobs_pages(client, auth, alert_county, mail_down, username, status):
    """May only the administrator and the supervision office open the jobs and outbox pages and run a job?"""
    login(client, auth, username)
    assert client.get("/admin/jobs").status_code == status
    assert client.get("/admin/jobs/outbox").status_code == status
    run = client.post("/admin/jobs/weekly_alert/run")
    assert run.status_code == (302 if status == 200 else 403)
    nav = client.get("/").get_data(as_text=True)
    assert ('href="/admin/jobs"' in nav) == (status == 200)


def test_run_now_sends_once_and_resend_needs_confirmation(app, client, auth, alert_county, smtp_server):
    """Does "run now" (done by the scheduler's tick) send the week once, and a resend only with the box ticked?"""
    login(client, auth, "supervisor")
    client.post("/admin/jobs/weekly_alert/run")
    assert run_requests(app) == 1
    # The outcome is stored in the office's language (zh_CN), like a run's notes.
    assert "2026-W48已完成：共14条消息。" in client.get("/admin/jobs").get_data(as_text=True)
    client.post("/admin/jobs/weekly_alert/run")
    assert run_requests(app) == 1
    assert "已经发送过" in client.get("/admin/jobs").get_data(as_text=True)
    unconfirmed = client.post("/admin/jobs/weekly_alert/run", data={"force": "1"}, follow_redirects=True)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)
    assert run_requests(app) == 0
    assert len(smtp_server.messages) == 6
    client.post("/admin/jobs/weekly_alert/run", data={"force": "1", "confirm": "1"})
    run_requests(app)
    assert len(smtp_server.messages) == 12
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert re.findall(r'data-run="\d+" data-status="(\w+)"', page) == ["done", "done"]
    assert "2026-W48+r1" in page and "Forced resend" in page
    with app.app_context():
        runs = db.session.scalars(db.select(JobRun).order_by(JobRun.id)).all()
        assert [(r.period_key, r.trigger) for r in runs] == [("2026-W48", "admin"), ("2026-W48+r1", "resend")]


def test_the_jobs_page_names_only_controls_it_has(app, client, auth, alert_county, smtp_server):
    """When a week was already sent, does the page say which box to tick and button to press, both on it?"""
    login(client, auth, "supervisor")
    client.post("/lang/zh_CN")
    client.post("/admin/jobs/weekly_alert/run")
    run_requests(app)
    client.post("/admin/jobs/weekly_alert/run")
    run_requests(app)
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "如需再次发送，请勾选“再次发送”并点击“重发本周预警”" in page
    named = set(re.findall(r"“([^”]+)”", page))
    labels = set(re.findall(r'<(?:button|label)[^>]*>\s*([^<]+?)\s*</(?:button|label)>', page))
    assert named and named <= labels, named - labels


def test_outbox_page_shows_failures_and_retry_delivers(app, client, auth, alert_county):
    """With the mail server down, does the outbox page show the waiting mails and the error, and retry send them?"""
    server = SmtpServer(port=free_port(), sink=MailSink())
    point_mail_at(app, server.port)
    login(client, auth, "admin")
    client.post("/admin/jobs/weekly_alert/run")
    run_requests(app)
    page = client.get("/admin/jobs/outbox?status=pending").get_data(as_text=True)
    assert page.count('data-status="pending"') == 6 and "cannot connect to SMTP server" in page
    assert "shuili-head@yunxi.example" in page
    with app.app_context():
        message_id = db.session.scalar(db.select(OutboxMessage.id).order_by(OutboxMessage.id))
    server.start()
    try:
        client.post(f"/admin/jobs/outbox/{message_id}/retry")
        assert run_requests(app) == 1
        assert "发送成功1条，失败0条。" in client.get("/admin/jobs").get_data(as_text=True)
        assert len(server.messages) == 1  # only the retried one; the others wait for their backoff
    finally:
        server.stop()
    with app.app_context():
        assert db.session.get(OutboxMessage, message_id).status == "sent"


def test_robot_address_is_masked_on_the_outbox_page(app, client, auth, alert_county, mail_down):
    """Does the outbox page hide most of a robot's secret key?"""
    from tracker.models import Unit

    with app.app_context():
        unit = db.session.get(Unit, alert_county["units"]["water"])
        unit.webhook_kind = "wecom"
        unit.webhook_url = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
        db.session.commit()
    login(client, auth, "admin")
    client.post("/admin/jobs/weekly_alert/run")
    run_requests(app)
    page = client.get("/admin/jobs/outbox").get_data(as_text=True)
    assert "key=…5aaa" in page and "693a91f6" not in page
