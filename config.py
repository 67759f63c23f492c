"""Configuration classes; every setting can be overridden from the environment."""
import os
from datetime import timedelta

BASE_DIR = os.path.abspath(os.path.dirname(__file__))


def env_bool(name, default=False):
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url(default):
    """Return DATABASE_URL, with the legacy postgres:// scheme SQLAlchemy rejects fixed."""
    url = os.environ.get("DATABASE_URL", default)
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    return url


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = database_url(
        "sqlite:///" + os.path.join(BASE_DIR, "instance", "tracker.sqlite3")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    # Time zone for deadlines, traffic lights and scheduled jobs.
    TIMEZONE = os.environ.get("TRACKER_TIMEZONE", "Asia/Shanghai")

    BABEL_DEFAULT_LOCALE = os.environ.get("BABEL_DEFAULT_LOCALE", "zh_CN")
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = {"zh_CN": "中文", "en": "English"}

    BOOTSTRAP_SERVE_LOCAL = True  # intranets have no internet: never a CDN
    BOOTSTRAP_BTN_SIZE = "sm"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # A sign-in without "keep me logged in" ends this long after it began (checked on the server, whatever
    # the browser keeps); a remembered one after REMEMBER_DAYS, which is also the remember cookie's life.
    SESSION_HOURS = int(os.environ.get("SESSION_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SESSION_HOURS)
    REMEMBER_DAYS = int(os.environ.get("REMEMBER_DAYS", "14"))
    REMEMBER_COOKIE_DURATION = timedelta(days=REMEMBER_DAYS)
    # Reverse proxies in front of the app whose X-Forwarded-For / -Proto / -Host are believed (werkzeug
    # ProxyFix). 0 believes none: a header any client can send must not choose the address throttled.
    PROXY_HOPS = int(os.environ.get("TRACKER_PROXY_HOPS", "0"))
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch still submits

    PASSWORD_HASH_METHOD = "scrypt"

    # Sign-in throttling (services/accounts/throttle.py). A user name gets LOGIN_FREE_FAILURES wrong
    # passwords free; each further one delays its next attempt 1, 2, 4 … minutes, at most
    # LOGIN_MAX_DELAY_MINUTES; its failures are forgotten LOGIN_FORGET_HOURS after the last one.
    LOGIN_FREE_FAILURES = int(os.environ.get("LOGIN_FREE_FAILURES", "3"))
    LOGIN_MAX_DELAY_MINUTES = int(os.environ.get("LOGIN_MAX_DELAY_MINUTES", "15"))
    LOGIN_FORGET_HOURS = int(os.environ.get("LOGIN_FORGET_HOURS", "24"))
    # An address with this many failures (any user names) within the window is "hot": from it, a user
    # name gets no free failures. It never refuses a right password: behind a proxy everybody shares it.
    LOGIN_ADDRESS_FAILURES = int(os.environ.get("LOGIN_ADDRESS_FAILURES", "20"))
    LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("LOGIN_ADDRESS_WINDOW_MINUTES", "15"))

    TASKS_PER_PAGE = int(os.environ.get("TASKS_PER_PAGE", "20"))
    # Memory per process for the dashboard's and the task list's figures, kept until the data
    # changes (tracker/caching.py); 0 computes them on every view.
    FIGURE_CACHE_BYTES = int(os.environ.get("FIGURE_CACHE_MB", "32")) * 1024 * 1024
    # Evidence files: never under static/, served only through a permission-checked view.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(BASE_DIR, "instance", "uploads"))
    MAX_UPLOAD_MB = int(os.environ.get("MAX_UPLOAD_MB", "25"))  # per file
    MAX_UPLOAD_FILES = int(os.environ.get("MAX_UPLOAD_FILES", "10"))  # per form
    ALLOWED_UPLOAD_EXTENSIONS = os.environ.get(
        "ALLOWED_UPLOAD_EXTENSIONS", "pdf,doc,docx,xls,xlsx,jpg,jpeg,png,zip"
    ).split(",")
    # The whole request (several files and the form); beyond it the user gets the 413 page.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_MB", str(MAX_UPLOAD_MB * 4))) * 1024 * 1024

    # Mail, under the names Flask-Mail uses.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "tracker@localhost")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "30"))  # seconds, per SMTP connection
    # The site's address as users reach it, for the links in mail and group-robot messages.
    TRACKER_BASE_URL = os.environ.get("TRACKER_BASE_URL", "http://127.0.0.1:5000")

    # Scheduled jobs, in TIMEZONE: crontab "minute hour day month day-of-week" (day names,
    # e.g. mon), optionally with a seconds field first; "off" disables a job.
    SCHEDULE_WEEKLY_ALERT = os.environ.get("SCHEDULE_WEEKLY_ALERT", "30 8 * * mon")
    SCHEDULE_MONTHLY_BULLETIN = os.environ.get("SCHEDULE_MONTHLY_BULLETIN", "0 17 last * *")
    SCHEDULE_OUTBOX = os.environ.get("SCHEDULE_OUTBOX", "* * * * *")
    # The scheduler is its own process (`flask scheduler run`); only a single-process
    # `flask run` demo may host it instead, and only when this is on. Never gunicorn.
    SCHEDULER_IN_PROCESS = env_bool("TRACKER_SCHEDULER_IN_PROCESS")
    # A delivery that failed this many times is marked failed (kept, and retryable by hand).
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "12"))
    WEBHOOK_TIMEOUT = int(os.environ.get("WEBHOOK_TIMEOUT", "10"))  # seconds
    # Robots are reached over https only, never at the server's own addresses (loopback,
    # link-local incl. 169.254.169.254), unless listed here (comma-separated hosts).
    WEBHOOK_ALLOW_HTTP = os.environ.get("WEBHOOK_ALLOW_HTTP", "0") == "1"
    WEBHOOK_ALLOWED_HOSTS = os.environ.get("WEBHOOK_ALLOWED_HOSTS", "")
    # Delivery (outbox.py): a pass holds each message for OUTBOX_LEASE seconds, renewed every
    # OUTBOX_HEARTBEAT while the channel is sending, so no other pass takes a message being sent;
    # each channel (email, WeCom, DingTalk) is sent by a worker of its own, which stops taking
    # messages after OUTBOX_CHANNEL_BUDGET seconds so a hanging server cannot hold a pass forever.
    OUTBOX_LEASE = float(os.environ.get("OUTBOX_LEASE", "120"))
    OUTBOX_HEARTBEAT = float(os.environ.get("OUTBOX_HEARTBEAT", "15"))
    OUTBOX_CHANNEL_BUDGET = float(os.environ.get("OUTBOX_CHANNEL_BUDGET", "50"))
    # Job runs (job_runs.py) write a heartbeat every JOB_HEARTBEAT seconds; a "running" run without
    # one for JOB_STALE seconds belongs to a dead process and is taken over.
    JOB_HEARTBEAT = float(os.environ.get("JOB_HEARTBEAT", "15"))
    JOB_STALE = float(os.environ.get("JOB_STALE", "120"))
    # The scheduler's tick: its heartbeat, "run now" requests, runs of dead processes taken over.
    # The jobs page says no scheduler runs when none has beaten for SCHEDULER_STALE seconds.
    SCHEDULER_TICK = float(os.environ.get("SCHEDULER_TICK", "5"))
    SCHEDULER_STALE = float(os.environ.get("SCHEDULER_STALE", "60"))
    # Tasks a weekly-alert digest lists, the worst first; it counts the rest and links the task list.
    # At province scale the county summary would otherwise list ~9,000 red tasks (a 5 MB mail). 0: no limit.
    ALERT_MAX_ROWS = int(os.environ.get("ALERT_MAX_ROWS", "50"))

    # Traffic-light thresholds (DESIGN: yellow when due within N days or silent M days).
    YELLOW_DUE_DAYS = int(os.environ.get("YELLOW_DUE_DAYS", "7"))
    YELLOW_SILENT_DAYS = int(os.environ.get("YELLOW_SILENT_DAYS", "14"))
    # A close-out request carries evidence files of its own (earlier reports' files do not count).
    CLOSEOUT_REQUIRES_EVIDENCE = env_bool("CLOSEOUT_REQUIRES_EVIDENCE", True)
    # Calendar days a lead unit has to accept (签收) a dispatched task; later it is 逾期未签收.
    ACCEPT_DUE_DAYS = int(os.environ.get("ACCEPT_DUE_DAYS", "3"))

    # 督办/催办通知单: the reply date (回告期限) a notice gets unless the office sets one, in calendar days.
    NOTICE_REPLY_DAYS = int(os.environ.get("NOTICE_REPLY_DAYS", "5"))
    IS_PRODUCTION = False  # production refuses to print QR codes that point at the loopback default
    ISSUING_OFFICE = os.environ.get("ISSUING_OFFICE", "云溪县委办公室 县政府办公室 督查室")
    # Monthly bulletin (月度通报): the red masthead, the area the figures cover, stored PDFs (never under static/).
    BULLETIN_MASTHEAD = os.environ.get("BULLETIN_MASTHEAD", "督查通报")
    BULLETIN_AREA = os.environ.get("BULLETIN_AREA", "全县")
    BULLETIN_DIR = os.environ.get("BULLETIN_DIR", os.path.join(BASE_DIR, "instance", "bulletins"))
    BULLETIN_EXPLAIN_UNITS = int(os.environ.get("BULLETIN_EXPLAIN_UNITS", "3"))  # bottom units asked for 情况说明
    # 主送 after the title and 抄送 in the 版记 (office settings; these are the first defaults).
    BULLETIN_MAIN_TO = os.environ.get("BULLETIN_MAIN_TO", "各乡镇党委和政府，县直各部门：")
    BULLETIN_COPY_TO = os.environ.get(
        "BULLETIN_COPY_TO", "县委办公室，县人大常委会办公室，县政府办公室，县政协办公室")
    # The bulletin's .docx names the fonts office PCs have (Word and WPS substitute a missing one).
    DOCX_FONT_BODY = os.environ.get("DOCX_FONT_BODY", "仿宋_GB2312")
    DOCX_FONT_TITLE = os.environ.get("DOCX_FONT_TITLE", "方正小标宋简体")
    DOCX_FONT_HEI = os.environ.get("DOCX_FONT_HEI", "黑体")
    DOCX_FONT_KAI = os.environ.get("DOCX_FONT_KAI", "楷体_GB2312")
    # Font families (fontconfig names) by role; an office with licensed 仿宋_GB2312 / 方正小标宋 names them here.
    # The defaults are free Debian fonts with TrueType outlines, chosen by measurement (benchmarks/RESULTS.md).
    BULLETIN_FONT_BODY = os.environ.get("BULLETIN_FONT_BODY", "AR PL UMing CN")
    BULLETIN_FONT_TITLE = os.environ.get("BULLETIN_FONT_TITLE", "AR PL UMing CN")
    BULLETIN_FONT_HEI = os.environ.get("BULLETIN_FONT_HEI", "WenQuanYi Zen Hei")
    BULLETIN_FONT_KAI = os.environ.get("BULLETIN_FONT_KAI", "AR PL UKai CN")
    BULLETIN_FONT_FALLBACK = os.environ.get("BULLETIN_FONT_FALLBACK", "WenQuanYi Zen Hei")
    # Outline the masthead and title so a font without a bold weight prints bold; off for a real 小标宋.
    BULLETIN_EMBOLDEN = env_bool("BULLETIN_EMBOLDEN", True)


class DevelopmentConfig(Config):
    """Local demo: without SECRET_KEY each instance makes its own random key (instance/secret_key)."""

    GENERATE_SECRET_KEY = True


class ProductionConfig(Config):
    """Real deployments: SECRET_KEY is mandatory and cookies default to secure."""

    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    IS_PRODUCTION = True
    MIN_SECRET_KEY_BYTES = 32  # the key signs every session cookie: shorter keys can be guessed offline


class TestingConfig(Config):
    """Tests: a throwaway database (TEST_DATABASE_URL for PostgreSQL)."""

    TESTING = True
    SECRET_KEY = "testing"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    # Cheap hashing keeps a suite that creates hundreds of users fast; never in production.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Bulletins a test generates without its own directory land outside the working tree.
    BULLETIN_DIR = os.path.join(os.environ.get("TMPDIR", "/tmp"), "tracker-test-bulletins")
    # The robot doubles of the tests answer on loopback over http (tests of the guard clear these).
    WEBHOOK_ALLOW_HTTP = True
    WEBHOOK_ALLOWED_HOSTS = "127.0.0.1"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
