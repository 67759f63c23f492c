"""Group robots (WeCom, DingTalk): the setting, checked when saved, and what a real HTTP server receives."""
import base64
import hashlib
import hmac
from datetime import timedelta

import pytest

from tests.alerts_helpers import MONDAY, free_port
from tests.conftest import make_task
from tracker import clock
from tracker.extensions import db
from tracker.models import AuditEntry, OutboxMessage, RectificationTask, Unit, User
from tracker.services import DomainError
from tracker.services.alerts import digests, render, weekly
from tracker.services.messaging import outbox, webhooks


def set_robot(alert_county, kind, url, secret=None, unit="water"):
    """Save a unit's robot through the service, as the administrator."""
    admin = db.session.get(User, alert_county["users"]["admin"])
    return webhooks.set_unit_webhook(admin, db.session.get(Unit, alert_county["units"][unit]), kind, url, secret)


def robot_rows():
    """The outbox rows of group robots."""
    db.session.expire_all()
    return db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.channel != "email")).all()


def test_wecom_robot_gets_the_units_digest_as_markdown(app, alert_county, robot_server, smtp_server):
    """Does the unit's WeCom robot receive one markdown message with the unit's red and yellow tasks and links?"""
    with app.app_context():
        set_robot(alert_county, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=K-123")
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        red_id = alert_county["tasks"]["water_red"]
    assert len(robot_server.requests) == 1  # only 县水利局 has a robot
    request = robot_server.requests[0]
    assert request["path"] == "/cgi-bin/webhook/send" and request["query"] == {"key": ["K-123"]}
    assert request["content_type"].startswith("application/json")
    body = request["json"]
    assert body["msgtype"] == "markdown" and set(body) == {"msgtype", "markdown"}
    content = body["markdown"]["content"]
    assert all(code in content for code in ("ZG-001", "ZG-002", "ZG-003")) and "ZG-004" not in content
    assert f"(https://dc.yunxi.example/tasks/{red_id})" in content and "县水利局" in content
    assert len(content.encode()) <= 4096


def test_dingtalk_robot_is_signed(app, alert_county, robot_server, smtp_server):
    """Does a DingTalk robot with 加签 get timestamp and sign computed from its secret, and a title and text?"""
    secret = "SECa1b2c3d4e5f6"
    with app.app_context():
        set_robot(alert_county, "dingtalk", f"{robot_server.url}/robot/send?access_token=T0K", secret)
        weekly.run_weekly_alert(MONDAY)
        with clock.frozen(MONDAY_PLUS(seconds=30)):
            outbox.dispatch_due()
    query = robot_server.requests[0]["query"]
    timestamp = query["timestamp"][0]
    assert int(timestamp) == int(MONDAY_PLUS(seconds=30).timestamp() * 1000)
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert query["sign"] == [expected] and query["access_token"] == ["T0K"]
    markdown = robot_server.requests[0]["json"]["markdown"]
    assert "县水利局" in markdown["title"] and "ZG-003" in markdown["text"]


def MONDAY_PLUS(**delta):  # noqa: N802  (reads as a moment)
    """A moment after the frozen Monday 08:30."""
    from tests.alerts_helpers import MONDAY_0830

    return MONDAY_0830 + timedelta(**delta)


def test_robot_down_then_back_is_retried_and_delivered(app, alert_county, robot_server, smtp_server):
    """When the robot answers 500, then refuses with an errcode, is the message kept and delivered once it works?"""
    robot_server.replies = [(500, {"errcode": -1, "errmsg": "system busy"}),
                            (200, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    with app.app_context():
        set_robot(alert_county, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=K")
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        [row] = robot_rows()
        assert row.status == "pending" and "HTTP 500" in row.last_error
        with clock.frozen(MONDAY_PLUS(minutes=2)):
            outbox.dispatch_due()
        [row] = robot_rows()
        assert row.attempts == 2 and "93000" in row.last_error
        with clock.frozen(MONDAY_PLUS(minutes=10)):
            outbox.dispatch_due()
        [row] = robot_rows()
        assert row.status == "sent"
    assert len(robot_server.requests) == 3


def test_fixing_the_robot_address_lets_waiting_messages_through(app, alert_county, robot_server, smtp_server):
    """After an administrator corrects a robot's address, does the waiting message go to the new address?"""
    dead = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key=OLD"
    with app.app_context():
        set_robot(alert_county, "wecom", dead)
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        assert "cannot reach" in robot_rows()[0].last_error
        set_robot(alert_county, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=NEW")
        admin = db.session.get(User, alert_county["users"]["admin"])
        outbox.retry(admin, robot_rows()[0].id)
        outbox.dispatch_due()
        assert robot_rows()[0].status == "sent"
    assert robot_server.requests[0]["query"] == {"key": ["NEW"]}


MALFORMED = [
    ("wecom", "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", None),
    ("wecom", "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", None),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", None),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a b", None),
    ("wecom", "https://qyapi.weixin.qq.com:99999/cgi-bin/webhook/send?key=abc", None),
    ("wecom", "https://user:pw@qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", None),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?key=abc", None),
    ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc", "SECxyz"),
    ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc", "not-a-secret"),
    ("", "https://oapi.dingtalk.com/robot/send?access_token=abc", None),
    ("dingtalk", "", "SECxyz"),
]


def test_malformed_robot_settings_are_refused(app, alert_county):
    """Is each malformed robot address, kind or secret refused when saved, leaving the unit unchanged?"""
    with app.app_context():
        for kind, url, secret in MALFORMED:
            with pytest.raises(DomainError):
                set_robot(alert_county, kind, url, secret)
            db.session.rollback()
            unit = db.session.get(Unit, alert_county["units"]["water"])
            assert (unit.webhook_url, unit.webhook_kind) == (None, None), (kind, url, secret)


def test_valid_robot_settings_are_saved_audited_and_cleared(app, alert_county):
    """Are real WeCom and DingTalk addresses accepted (and audited), and does an empty address remove the robot?"""
    with app.app_context():
        unit = set_robot(alert_county, "wecom", " https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6 ")
        assert unit.webhook_url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6"
        unit = set_robot(alert_county, "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=ab12", "SECabc")
        assert (unit.webhook_kind, unit.webhook_secret) == ("dingtalk", "SECabc")
        unit = set_robot(alert_county, "", "", "")
        assert (unit.webhook_kind, unit.webhook_url, unit.webhook_secret) == (None, None, None)
        actions = db.session.scalars(db.select(AuditEntry.action).where(AuditEntry.object_type == "unit")).all()
        assert actions == ["webhook_set", "webhook_set", "webhook_cleared"]


def test_robot_form_on_the_unit_page(app, client, auth, alert_county):
    """Does the unit page refuse a malformed address with the reason next to the field, and save a good one?"""
    unit_id = alert_county["units"]["water"]
    auth.login("admin")
    client.post("/lang/en")
    page = client.get(f"/admin/units/{unit_id}/edit")
    assert page.status_code == 200 and 'name="webhook_url"' in page.get_data(as_text=True)
    bad = client.post(f"/admin/units/{unit_id}/webhook", data={
        "webhook_kind": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"})
    assert bad.status_code == 400 and "key=" in bad.get_data(as_text=True)
    good = client.post(f"/admin/units/{unit_id}/webhook", data={
        "webhook_kind": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"})
    assert good.status_code == 302
    with app.app_context():
        assert db.session.get(Unit, unit_id).webhook_url.endswith("key=abc")
    auth.logout()
    auth.login("supervisor")
    denied = client.post(f"/admin/units/{unit_id}/webhook", data={"webhook_kind": "", "webhook_url": ""})
    assert denied.status_code == 403


def test_a_long_digest_is_cut_to_fit_the_robot(app, alert_county):
    """Is a unit's robot message with very many tasks cut to the robots' size limit, saying how many are left out?"""
    with app.app_context():
        water = db.session.get(Unit, alert_county["units"]["water"])
        for n in range(80):
            make_task(f"长标题整改任务第{n}项：农村饮水安全巩固提升工程建设进度滞后问题", water,
                      deadline_on=MONDAY - timedelta(days=n + 1), code=f"ZG-L{n:03d}",
                      dispatched_at=clock.now() - timedelta(days=100))
        db.session.commit()
        digest = next(d for d in digests.build_digests(MONDAY) if d.kind == "unit" and d.unit.id == water.id)
        markdown = render.render(digest, MONDAY).markdown
    listed = sum(1 for line in markdown.splitlines() if line.startswith("- "))
    assert len(markdown.encode()) <= render.MAX_MARKDOWN_BYTES
    assert 0 < listed < 83 and str(83 - listed) in markdown.splitlines()[-1]


def test_markdown_in_unit_names_and_titles_reaches_the_robot_as_plain_text(app, alert_county, robot_server,
                                                                         smtp_server):
    """Do a unit name and a task title written as markdown arrive at the robot as text, not as links or headings?"""
    with app.app_context():
        set_robot(alert_county, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=K-9")
        water = db.session.get(Unit, alert_county["units"]["water"])
        water.name = "县水利局** [点此](http://evil.example)"
        task = db.session.get(RectificationTask, alert_county["tasks"]["water_red"])
        task.title = ('饮水\n### 已全部销号 <font color="info">已完成</font> `x` '
                      '[伪链接](http://evil.example/a) | > _斜_')
        db.session.commit()
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
    content = robot_server.requests[0]["json"]["markdown"]["content"]
    for raw in ("[点此](http://evil.example)", "\n### 已全部销号", "<font", "`x`", "[伪链接](", "| >", "_斜_",
                "县水利局**"):
        assert raw not in content, raw
    assert "［点此］（http://evil.example）" in content and "＜font color=\"info\"＞已完成" in content
    assert content.startswith("### ") and content.count("\n### ") == 0  # one heading: the subject's own


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/cgi-bin/webhook/send?key=K", "https://[::1]/cgi-bin/webhook/send?key=K",
    "https://169.254.169.254/cgi-bin/webhook/send?key=K", "https://0.0.0.0/cgi-bin/webhook/send?key=K",
    "https://[::ffff:127.0.0.1]:22/cgi-bin/webhook/send?key=K", "http://qyapi.example/cgi-bin/webhook/send?key=K",
])
def test_robot_addresses_of_the_server_itself_are_refused_when_saved(app, alert_county, url):
    """Are loopback, link-local (metadata), 0.0.0.0 and mapped forms, and plain http refused as robot addresses?"""
    app.config.update(WEBHOOK_ALLOWED_HOSTS="", WEBHOOK_ALLOW_HTTP=False)
    with app.app_context(), pytest.raises(DomainError):
        set_robot(alert_county, "wecom", url)


def test_a_name_resolving_to_loopback_is_refused_when_sending(app, alert_county, robot_server, smtp_server):
    """Is a robot whose name resolves to the server itself refused at the connection, and its message failed?"""
    with app.app_context():
        set_robot(alert_county, "wecom", f"http://localhost:{robot_server.server.server_address[1]}"
                                         "/cgi-bin/webhook/send?key=K-1")
        app.config["WEBHOOK_ALLOWED_HOSTS"] = ""  # as in production: nothing on loopback
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        [row] = robot_rows()
        assert row.status != "sent" and "address not allowed" in (row.last_error or "")
    assert robot_server.requests == []


def test_a_redirect_from_a_robot_is_not_followed(app, alert_county, robot_server, smtp_server):
    """When a robot answers with a redirect, is it not followed and the message kept as not delivered?"""
    robot_server.replies = [(302, {"errcode": 0})] * 12
    with app.app_context():
        set_robot(alert_county, "wecom", f"{robot_server.url}/cgi-bin/webhook/send?key=K-2")
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        [row] = robot_rows()
        assert row.status != "sent" and "redirects are not followed" in (row.last_error or "")
    assert len(robot_server.requests) == 1


def test_the_outbox_shows_socket_errors_to_the_administrator_only(app, client, auth, alert_county, smtp_server):
    """Does the office see what kind of failure a robot message had, and only the administrator its words?"""
    port = free_port()  # nothing listens there
    with app.app_context():
        set_robot(alert_county, "wecom", f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key=K-3")
        weekly.run_weekly_alert(MONDAY)
        outbox.dispatch_due()
        [row] = robot_rows()
        assert f"127.0.0.1:{port}" in row.last_error
    for username, sees_detail in (("supervisor", False), ("admin", True)):
        auth.login(username)
        client.post("/lang/en")
        page = client.get("/admin/jobs/outbox").get_data(as_text=True)
        assert ("Connection refused" in page) is sees_detail, username  # the socket's own words
        assert ("The robot could not be reached" in page) is not sees_detail, username
        auth.logout()
