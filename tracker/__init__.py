"""整改督办: the application factory."""
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS

from .extensions import babel, bootstrap, csrf, db, login_manager, migrate

ROOT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))


def create_app(test_config=None):
    """Create the app; `test_config` (a dict) overrides the environment's config class."""
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT_DIR, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT_DIR, "templates"),
        static_folder=os.path.join(ROOT_DIR, "static"),
    )
    env = "testing" if test_config is not None else os.environ.get("TRACKER_ENV", "production")
    if env not in CONFIGS:
        raise RuntimeError(f"TRACKER_ENV={env!r} is not one of {', '.join(CONFIGS)}")
    app.config.from_object(CONFIGS[env])
    if test_config:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY") and app.config.get("GENERATE_SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    check_config(app)
    if app.config["PROXY_HOPS"] > 0:
        # Only the configured number of proxies' X-Forwarded-* are believed; with 0 (the default) a
        # client's own X-Forwarded-For is ignored, so it cannot pick the address the throttle counts.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    init_extensions(app)
    from . import security

    security.init_app(app)  # before the blueprints: their <int:…> rules take the bounded converter
    register_blueprints(app)
    register_template_helpers(app)

    from . import cli, errors

    cli.register(app)
    errors.register(app)

    from .jobs import scheduler

    scheduler.start_in_process(app)  # only `flask run` with TRACKER_SCHEDULER_IN_PROCESS=1; never gunicorn
    return app


def instance_secret_key(instance_path):
    """The development key of this instance: random, made once and kept in instance/secret_key (mode 600).

    Never a key written in the code: a published key lets anyone sign a session cookie.
    """
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as handle:
            key = handle.read().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    import secrets

    key = secrets.token_hex(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process of this instance made it first (or left it empty): use theirs
        with open(path, encoding="ascii") as handle:
            return handle.read().strip() or key
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def check_config(app):
    """Refuse to start on settings that would run wrong rather than fail later."""
    key = app.config.get("SECRET_KEY")
    if not key:
        raise RuntimeError("SECRET_KEY is not set: set the SECRET_KEY environment variable to a long random string")
    minimum = app.config.get("MIN_SECRET_KEY_BYTES", 0)
    if len(key.encode() if isinstance(key, str) else key) < minimum:
        raise RuntimeError(
            f"SECRET_KEY is too short: it has {len(key)} characters and needs at least {minimum} bytes. "
            "Make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )
    try:
        ZoneInfo(app.config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(
            f"TRACKER_TIMEZONE={app.config['TIMEZONE']!r} is not a known time zone (e.g. Asia/Shanghai)"
        ) from None
    from .services.documents import pdf

    pdf.check_fonts(app.config)  # a missing CJK font stops the start, never a bulletin of empty boxes (cached)


def select_locale():
    """The language: the user's explicit choice, else zh_CN (not the browser's)."""
    if not has_request_context():
        return None  # CLI and scheduler: the default language
    chosen = session.get("lang")
    if not chosen and current_user and current_user.is_authenticated:
        chosen = current_user.locale
    if chosen in app_languages():
        return chosen
    return None  # Flask-Babel falls back to BABEL_DEFAULT_LOCALE


def app_languages():
    """Codes of the languages the UI is translated into."""
    from flask import current_app

    return current_app.config["LANGUAGES"]


def init_extensions(app):
    """Bind the extension objects to this app."""
    from . import models  # noqa: F401  (register every table with the metadata)

    db.init_app(app)
    from . import caching

    caching.init_app(app)
    with app.app_context():
        tune_postgres(db.engine)
    migrate.init_app(app, db, directory=os.path.join(ROOT_DIR, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(ROOT_DIR, "translations"))
    bootstrap.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    # No binding to the client's address or browser ("strong" hashed X-Forwarded-For, which any client
    # sets): the cookies carry a sign-in id that the server checks and can end (services/accounts/sign_ins.py).
    login_manager.session_protection = None

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")

    @login_manager.user_loader
    def load_user(sign_in_id):
        """The user of a live sign-in (from the session or the remember cookie), once per request."""
        from .services.accounts import sign_ins

        return sign_ins.load(sign_in_id)


def tune_postgres(engine):
    """Switch JIT and parallel query off on every PostgreSQL connection of `engine` (a no-op on SQLite).

    A web request runs a dozen short queries, and many requests run at once. At 100,000 tasks
    the planner's estimates passed the JIT thresholds and compiling took 270 ms for a query that
    runs in 14 ms; parallel workers cost more CPU than they save once every core is busy (20 %
    fewer requests per second under load). Measurements: benchmarks/RESULTS.md.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _settings(dbapi_connection, _record):
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # a SET inside a transaction would be undone by its rollback
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off; SET max_parallel_workers_per_gather = 0")
        dbapi_connection.autocommit = autocommit


def register_blueprints(app):
    """Attach one blueprint per feature."""
    from .admin import bp as admin_bp
    from .auth import bp as auth_bp
    from .bulletins import bp as bulletins_bp
    from .inbox import bp as inbox_bp
    from .indicators import bp as indicators_bp
    from .jobs_admin import bp as jobs_admin_bp
    from .main import bp as main_bp
    from .tasks import bp as tasks_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(tasks_bp, url_prefix="/tasks")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(inbox_bp, url_prefix="/inbox")
    app.register_blueprint(jobs_admin_bp, url_prefix="/admin")
    app.register_blueprint(bulletins_bp, url_prefix="/bulletins")
    app.register_blueprint(indicators_bp, url_prefix="/indicators")


def current_language():
    """The UI language as one of the LANGUAGES codes (zh_CN or en)."""
    from flask_babel import get_locale

    return "zh_CN" if get_locale().language == "zh" else "en"


def register_template_helpers(app):
    """Filters and globals every template may use."""
    from . import formatting, permissions
    from .models.task import LEVELS, RECHECKS, SOURCES, STATUSES

    app.jinja_env.globals.update(permissions.template_helpers())
    app.jinja_env.globals.update(
        STATUSES=STATUSES, SOURCES=SOURCES, LEVELS=LEVELS, RECHECKS=RECHECKS, current_language=current_language,
        LANGUAGES=app.config["LANGUAGES"], status_label=lambda task: task.status_label_for(current_user),
    )
    app.jinja_env.add_extension("jinja2.ext.do")
    formatting.register(app)

    @app.context_processor
    def inject_request_path():
        return {"current_path": request.full_path if request else "/"}
