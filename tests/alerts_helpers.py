"""Real delivery endpoints on loopback for the alert tests, and a small county with lights of every colour.

- `smtp_server`: an aiosmtpd SMTP server on 127.0.0.1 (optionally requiring a
  login) that keeps every accepted mail, parsed; the app is pointed at it.
- `robot_server`: an HTTP server on 127.0.0.1 that answers like a WeCom or
  DingTalk group robot (or with scripted errors) and keeps every request.
- `county`: units, users and tasks on a frozen Monday, with known lights.
"""
import asyncio
import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.conftest import make_task, make_unit, make_user
from tracker import clock
from tracker.extensions import db
from tracker.models import Milestone

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 11, 23)  # ISO week 2026-W48
MONDAY_0830 = datetime(2026, 11, 23, 8, 30, tzinfo=SHANGHAI)
BASE_URL = "https://dc.yunxi.example"
SMTP_USER, SMTP_PASSWORD = "tracker", "right-password"
EMAIL_COUNT = 6  # mails the weekly alert of build_county() sends (the inbox gets 8 messages)


def free_port():
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """aiosmtpd handler keeping every accepted mail."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds per mail: a slow server makes concurrent senders overlap
        self.started = 0  # mails whose DATA the server has begun to take (counted before the delay)
        self.reply_delay = 0.0  # seconds between keeping a mail and answering 250

    async def handle_DATA(self, server, session, envelope):
        """Keep the mail, parsed, with its envelope recipients."""
        with self.lock:
            self.started += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        parsed = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        if self.reply_delay:  # the mail is kept (it will be delivered) but the client does not hear so yet
            await asyncio.sleep(self.reply_delay)
        return "250 OK"


@dataclass
class SmtpServer:
    """A running loopback SMTP server and what it received."""

    port: int
    sink: MailSink
    controller: Controller = None
    require_login: bool = False

    def start(self):
        """Listen on self.port (again, after stop())."""
        params = {}
        if self.require_login:
            # AUTH offered without TLS (loopback only); not "required", which makes aiosmtpd warn on every connection.
            params = {"auth_require_tls": False, "authenticator": check_login}
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port, **params)
        self.controller.start()

    def stop(self):
        """Stop listening (as a mail server that went down)."""
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self):
        """(recipients, parsed mail) for every mail accepted so far."""
        with self.sink.lock:
            return list(self.sink.messages)

    def mail_to(self, address):
        """The mails whose envelope includes `address`."""
        return [mail for rcpts, mail in self.messages if address in rcpts]


def check_login(server, session, envelope, mechanism, auth_data):
    """Accept only SMTP_USER / SMTP_PASSWORD."""
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


def point_mail_at(app, port, **extra):
    """Configure the app's mail settings for a loopback server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME=None, MAIL_PASSWORD=None, MAIL_DEFAULT_SENDER="督查室 <duchashi@yunxi.example>",
                      MAIL_TIMEOUT=5, TRACKER_BASE_URL=BASE_URL, **extra)


@pytest.fixture
def smtp_server(app):
    """A real SMTP server on loopback, the app's mail settings pointing at it."""
    server = SmtpServer(port=free_port(), sink=MailSink())
    server.start()
    point_mail_at(app, server.port)
    yield server
    server.stop()


@pytest.fixture
def mail_down(app):
    """Mail settings pointing at a loopback port where no server listens (never a real mail server)."""
    point_mail_at(app, free_port())


def html_part(mail):
    """The HTML alternative of a mail."""
    return mail.get_body(preferencelist=("html",)).get_content()


def text_part(mail):
    """The plain-text part of a mail."""
    return mail.get_body(preferencelist=("plain",)).get_content()


@dataclass
class RobotServer:
    """A loopback HTTP server answering like a group robot; `replies` scripts (status, json) answers."""

    server: ThreadingHTTPServer
    requests: list = field(default_factory=list)
    replies: list = field(default_factory=list)

    @property
    def url(self):
        """Base address of the server."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self):
        """The JSON bodies received, in order."""
        return [request["json"] for request in self.requests]


@pytest.fixture
def robot_server():
    """A real HTTP server on loopback answering like a WeCom / DingTalk robot."""
    state = RobotServer(server=None)

    class Handler(BaseHTTPRequestHandler):
        """Answers POSTs like a group robot."""

        def do_POST(self):  # noqa: N802  (http.server's naming)
            """Record the request and answer with the next scripted reply (default: errcode 0)."""
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            state.requests.append({"path": parts.path, "query": parse_qs(parts.query),
                                   "content_type": self.headers.get("Content-Type"),
                                   "json": json.loads(body.decode("utf-8"))})
            status, answer = state.replies.pop(0) if state.replies else (200, {"errcode": 0, "errmsg": "ok"})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            """Keep the test output clean."""

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()
    thread.join(5)


@pytest.fixture
def monday():
    """Freeze the clock at 08:30 on Monday 2026-11-23 (Shanghai), the weekly alert's time."""
    with clock.frozen(MONDAY_0830):
        yield MONDAY_0830


def build_county(today=MONDAY, with_robot=None):
    """Units, people and tasks with known lights as of `today`; returns ids by name.

    县水利局 leads a red task (挂牌, leader 王副县长) and a yellow one, co-organizes a
    red task of 县商务局; 城关镇 has only a yellow (silent) task; 县教育局 only green
    and finished tasks; a draft that would be red concerns nobody.
    """
    now = clock.now()
    water, commerce = make_unit("县水利局"), make_unit("县商务局")
    town, education = make_unit("城关镇", "town"), make_unit("县教育局")
    if with_robot:
        water.webhook_kind, water.webhook_url = with_robot
    people = {
        "supervisor": make_user("supervisor", "supervisor", email="ducha@yunxi.example", display_name="督查员"),
        "supervisor2": make_user("supervisor2", "supervisor", email=None, display_name="考核员"),
        "leader": make_user("leader", "leader", email="wang@yunxi.example", display_name="王副县长"),
        "leader2": make_user("leader2", "leader", email="li@yunxi.example", display_name="李副县长"),
        "admin": make_user("admin", "admin", email="admin@yunxi.example"),
        "water_head": make_user("waterhead", "unit_head", water, email="shuili-head@yunxi.example"),
        "water_staff": make_user("waterstaff", "unit_staff", water, email="shuili-staff@yunxi.example"),
        "water_noemail": make_user("waternomail", "unit_staff", water, email=None, display_name="张无邮"),
        "commerce_head": make_user("commercehead", "unit_head", commerce, email="shangwu@yunxi.example"),
        "town_head": make_user("townhead", "unit_head", town, email="chengguan@yunxi.example"),
        "edu_head": make_user("eduhead", "unit_head", education, email="jiaoyu@yunxi.example"),
        "former": make_user("former", "unit_staff", water, email="former@yunxi.example", is_active=False),
    }
    common = {"dispatched_at": now - timedelta(days=60), "created_at": now - timedelta(days=61),
              "last_reported_at": now - timedelta(days=2)}
    tasks = {
        "water_red": make_task("农村安全饮水巩固提升", water, deadline_on=today - timedelta(days=5), code="ZG-001",
                               supervision_level="listed", responsible_leader=people["leader"], **common),
        "water_yellow": make_task("河道清淤疏浚", water, deadline_on=today + timedelta(days=3), code="ZG-002",
                                  responsible_leader=people["leader2"], **common),
        "commerce_red": make_task("外贸进出口攻坚", commerce, deadline_on=today - timedelta(days=12), code="ZG-003",
                                  co_units=[water], **common),
        "town_yellow": make_task("城关镇污水管网", town, deadline_on=today + timedelta(days=60), code="ZG-004",
                                 **{**common, "last_reported_at": now - timedelta(days=20)}),
        "edu_green": make_task("义务教育学位扩容", education, deadline_on=today + timedelta(days=90), code="ZG-005",
                               **common),
        "edu_closed": make_task("校园安全整治", education, status="closed", deadline_on=today - timedelta(days=30),
                                code="ZG-006", **common),
        "draft_red": make_task("水利草稿任务", water, status="draft", deadline_on=today - timedelta(days=3),
                               code="ZG-007"),
        "leader2_green": make_task("高标准农田建设", commerce, deadline_on=today + timedelta(days=80), code="ZG-008",
                                   supervision_level="listed", responsible_leader=people["leader2"], **common),
    }
    # A yellow by milestone: the green-deadline task of 县教育局 gets no milestone, so it stays green.
    db.session.add(Milestone(task=tasks["town_yellow"], title="完成管网设计", due_on=today + timedelta(days=10)))
    db.session.commit()
    return {
        "units": {"water": water.id, "commerce": commerce.id, "town": town.id, "education": education.id},
        "users": {key: user.id for key, user in people.items()},
        "tasks": {key: task.id for key, task in tasks.items()},
    }


@pytest.fixture
def alert_county(app, monday):
    """The county of build_county(), on the frozen Monday."""
    with app.app_context():
        return build_county()


def run_requests(app):
    """Do what the scheduler's tick does with the "run now" requests of the jobs page; returns how many ran."""
    from tracker.jobs import requests
    from tracker.jobs.overview import describe

    with app.app_context():
        return requests.pick_up(describe)


def flask_env(app, **extra):
    """Environment for a `flask` subprocess on the test database, with the app's mail and link settings."""
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAIL_", "SCHEDULE_"))}
    env.update(TRACKER_ENV="development", FLASK_APP="wsgi", SECRET_KEY="testing",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], TRACKER_BASE_URL=app.config["TRACKER_BASE_URL"],
               MAIL_SERVER=str(app.config["MAIL_SERVER"]), MAIL_PORT=str(app.config["MAIL_PORT"]),
               MAIL_DEFAULT_SENDER="duchashi@yunxi.example", MAIL_TIMEOUT="5", PYTHONUNBUFFERED="1",
               # The robot doubles answer on loopback over http, as in the test app's config.
               WEBHOOK_ALLOW_HTTP="1", WEBHOOK_ALLOWED_HOSTS="127.0.0.1")
    env.pop("TRACKER_SCHEDULER_IN_PROCESS", None)
    env.update({key: str(value) for key, value in extra.items()})
    return env


def flask_command(*args):
    """The argv of a `flask` subprocess in this venv."""
    import os
    import sys

    return [os.path.join(os.path.dirname(sys.executable), "flask"), *args]


def start_flask(app, *args, **env):
    """Start `flask ARGS` as a real process on the test database (the caller waits for or stops it)."""
    import subprocess
    from pathlib import Path

    return subprocess.Popen(flask_command(*args), env=flask_env(app, **env), cwd=Path(__file__).resolve().parents[1],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish(process, timeout=120):
    """Wait for a `flask` subprocess and return its output; kill it if it overstays (never left running).

    The bound is generous: a stopped scheduler finishes the job it holds, and on a busy CI machine
    that has taken more than 30 s.
    """
    import subprocess

    try:
        return process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
