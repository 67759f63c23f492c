"""Flask commands: each calls the same services the web pages use."""
import click
from flask.cli import with_appcontext

from .extensions import db
from .models import User
from .models.user import ROLES


def register(app):
    """Attach the commands to the app."""
    app.cli.add_command(seed_demo)
    app.cli.add_command(seed_scale)
    app.cli.add_command(create_user)
    app.cli.add_command(files_cli)
    app.cli.add_command(cache_cli)
    app.cli.add_command(settings_cli)

    from .jobs_admin import commands as job_commands

    job_commands.register(app)  # flask alerts weekly, flask outbox send, flask scheduler run

    from .indicators.commands import import_results, indicators_cli

    app.cli.add_command(import_results)
    app.cli.add_command(indicators_cli)  # flask indicators board --period NAME --format json

    from .bulletins.commands import bulletin_cli

    app.cli.add_command(bulletin_cli)  # flask bulletin monthly, flask bulletin check-fonts


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def seed_demo(if_empty):
    """Load the demo county (云溪县): units, half-year results, users of every role, tasks, bulletins."""
    from .seeding import demo, demo_bulletins
    from .services import DomainError
    from .services.documents import pdf

    if if_empty and db.session.scalar(db.select(db.func.count()).select_from(User)):
        click.echo("Database already has data; demo not loaded.")
        return
    try:
        summary = demo.load_demo()
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    try:
        summary += "; " + demo_bulletins.load_bulletins()
    except (DomainError, pdf.FontError) as error:  # the county is loaded; only its bulletins are missing
        summary += f"; no bulletins ({error})"
    click.echo(f"Demo county loaded: {summary}")


@click.command("seed-scale")
@click.option("--units", type=click.IntRange(1, 9999), default=300, show_default=True)
@click.option("--tasks", type=click.IntRange(0), default=100_000, show_default=True)
@click.option("--reports", type=click.IntRange(0), default=500_000, show_default=True)
@click.option("--seed", type=int, default=20261123, show_default=True, help="Same seed, same day: same data.")
@with_appcontext
def seed_scale(units, tasks, reports, seed):
    """Fill an empty database with province-scale benchmark data (bulk inserts; skipped when already seeded so)."""
    from .seeding import scale
    from .services import DomainError

    spec = scale.ScaleSpec(units=units, tasks=tasks, reports=reports, seed=seed)
    if scale.is_seeded(spec):
        click.echo(f"Already seeded with {units} units, {tasks} tasks, {reports} reports; nothing done.")
        return
    try:
        click.echo(scale.seed(spec))
    except DomainError as error:
        raise click.ClickException(str(error)) from None


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", "display_name", help="Display name (defaults to the user name).")
@click.option("--unit", "unit_name", help="Unit name, required for unit roles.")
@click.option("--email")
@click.password_option()
@with_appcontext
def create_user(username, role, display_name, unit_name, email, password):
    """Create a user, e.g. the first administrator of a production deployment."""
    from .services import DomainError
    from .services.accounts import users

    try:
        user = users.create_user(
            actor=None, username=username, display_name=display_name or username, role=role,
            unit_name=unit_name, email=email, password=password,
        )
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.username} ({user.role}).")


files_cli = click.Group("files", help="Stored files (evidence, bulletins) against their database rows.")


@files_cli.command("check")
@click.option("--fix", is_flag=True, help="Move files of committed rows into place and remove old orphans.")
@with_appcontext
def files_check(fix):
    """List files a lost commit answer left waiting, rows whose file is missing, and orphans (--fix repairs)."""
    from .services.bulletins import lifecycle
    from .services.tasks import attachments

    evidence = attachments.reconcile(fix)
    placed, missing, removed = lifecycle.reconcile(fix)
    verb = "placed" if fix else "to place"
    for label, names in ((f"evidence {verb}", evidence.placed), ("evidence MISSING (restore from backup)",
                                                                 evidence.missing),
                         ("evidence orphans " + ("removed" if fix else "to remove"), evidence.removed),
                         ("evidence files no row claims", evidence.strays), (f"bulletins {verb}", placed),
                         ("bulletins MISSING (restore from backup)", missing),
                         ("bulletin orphans " + ("removed" if fix else "to remove"), removed)):
        click.echo(f"{label}: {len(names)}")
        for name in names[:50]:
            click.echo(f"  {name}")
    if evidence.missing or missing:
        raise SystemExit(1)


cache_cli = click.Group("cache", help="The figures each web process keeps (tracker/caching.py).")


@cache_cli.command("reset")
@with_appcontext
def cache_reset():
    """After a restore or writes past the ORM: every web process recomputes its figures on its next view."""
    import time

    from . import caching

    db.session.execute(caching.reset_statement(db.engine.dialect.name, int(time.time() * 1000)))
    db.session.commit()
    click.echo("Figures reset: every web process computes them afresh on its next page view.")


settings_cli = click.Group("settings", help="The office settings (the same as the settings page).")


@settings_cli.command("show")
@with_appcontext
def settings_show():
    """Every office setting with its value in force."""
    from .services import office_settings

    for key, value in office_settings.values().items():
        click.echo(f"{key}={value}")


@settings_cli.command("set")
@click.argument("key")
@click.argument("value")
@with_appcontext
def settings_set(key, value):
    """Change one office setting (audited as done by the system)."""
    from .services import DomainError, office_settings

    try:
        changed = office_settings.update(None, {key.upper(): value})
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{key.upper()}={office_settings.value(key.upper())}" + ("" if changed else " (unchanged)"))
