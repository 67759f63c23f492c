"""Commands for the scheduled jobs: `flask alerts weekly`, `flask outbox send`, `flask scheduler run`.

They call the same services as the scheduler and the admin page.
"""
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import clock
from ..jobs import schedule
from ..jobs.overview import describe
from ..jobs.scheduler import run_scheduler, schedule_lines, triggers
from ..services.alerts import weekly
from ..services.messaging import outbox

alerts_cli = click.Group("alerts", help="The weekly alert (每周预警).")
outbox_cli = click.Group("outbox", help="The delivery outbox (email, group robots).")
scheduler_cli = click.Group("scheduler", help="The scheduler process.")


@alerts_cli.command("weekly")
@click.option("--on", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Compute the lights as of this date (default: today); the week of this date is the one sent.")
@click.option("--dry-run", is_flag=True, help="Print who would get what; send and record nothing.")
@click.option("--force", is_flag=True, help="Send again even if this week's alert was already sent.")
@with_appcontext
def alerts_weekly(day, dry_run, force):
    """Send the weekly alert for this week (once per week, whoever runs it)."""
    day = day.date() if day else clock.today()
    if dry_run:
        for line in weekly.describe_plan(weekly.plan_weekly_alert(day)):
            click.echo(line)
        return
    outcome = schedule.run_weekly_alert(trigger="cli", force=force, day=day)
    if outcome.run is None:
        click.echo(outcome.skipped_reason)
        return
    if outcome.run.status == "failed":
        raise click.ClickException(describe(outcome))
    click.echo(describe(outcome))
    click.echo(outcome.run.notes or "")
    click.echo(f"Outbox: {describe(outcome.delivery)}")


@outbox_cli.command("send")
@click.option("--limit", type=click.IntRange(1, 10000), default=outbox.BATCH, show_default=True,
              help="At most this many messages per channel in this pass.")
@with_appcontext
def outbox_send(limit):
    """Send the outbox messages that are due now."""
    result = outbox.dispatch_due(limit)
    click.echo(describe(result))
    for error in result.errors[:20]:
        click.echo(f"  {error}", err=True)


@outbox_cli.command("retry-failed")
@with_appcontext
def outbox_retry_failed():
    """Put every failed message back in line (they are sent at the next pass)."""
    click.echo(f"{outbox.retry_all_failed(None)} messages back in line.")


@scheduler_cli.command("run")
@with_appcontext
def scheduler_run():
    """Run the scheduler in this process until stopped (one per deployment, beside gunicorn)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Not a line per execution of the every-minute outbox job; our own log says what each job did.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    run_scheduler(current_app._get_current_object())


@scheduler_cli.command("jobs")
@with_appcontext
def scheduler_jobs():
    """List the jobs with their schedule and next time."""
    app = current_app._get_current_object()
    for line in schedule_lines(app, triggers(app)):
        click.echo(line)


def register(app):
    """Attach the job commands to the app."""
    for group in (alerts_cli, outbox_cli, scheduler_cli):
        app.cli.add_command(group)
