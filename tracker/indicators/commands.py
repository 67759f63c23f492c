"""`flask import-results`: the results import from the command line, through the same service as the page."""
import os

import click
from flask.cli import with_appcontext

from ..models.indicator import PERIOD_KINDS, TARGET_BASES
from ..services import DomainError


@click.command("import-results")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--period", "period_name", required=True, help="Period name, e.g. 2026年上半年考核.")
@click.option("--kind", type=click.Choice(list(PERIOD_KINDS)),
              help="Type of a new period (default: read from its name, else from its dates): half_year is 上半年, "
                   "three_quarters 前三季度, first_quarter 一季度, quarter a single quarter.")
@click.option("--starts-on", type=click.DateTime(["%Y-%m-%d"]), help="First day of a new period.")
@click.option("--ends-on", type=click.DateTime(["%Y-%m-%d"]), help="Last day of a new period.")
@click.option("--target-basis", type=click.Choice(list(TARGET_BASES)),
              help="Whether the sheet's 目标值 is the year's target (the default for a new period) or the period's.")
@click.option("--create-units", is_flag=True, help="Create the units the file names that do not exist yet.")
@click.option("--dry-run", is_flag=True, help="Check the file and say what would change; write nothing.")
@with_appcontext
def import_results(path, period_name, kind, starts_on, ends_on, target_basis, create_units, dry_run):
    """Import an assessment-results sheet (.xlsx or .csv) into a period; nothing is written if any row is wrong."""
    from ..services.indicators import periods, results_import

    with open(path, "rb") as handle:
        data = handle.read()
    filename = os.path.basename(path)
    try:
        # A missing period is created with the results, in the same transaction.
        period = periods.period_for_import(
            period_name, kind, starts_on and starts_on.date(), ends_on and ends_on.date())
        is_new = period.id is None
        plan = results_import.plan_import(period, data, filename, create_units, target_basis=target_basis)
        if not plan.ok:
            raise results_import.ImportRejected(plan)
        if not dry_run:
            results_import.apply_plan(None, plan)
            if is_new:
                click.echo(f"Created period {period.name} ({period.kind}, {period.starts_on} – {period.ends_on}, "
                           f"target basis {period.target_basis}).")
    except results_import.ImportRejected as rejected:
        for error in rejected.plan.errors:
            click.echo(f"row {error.row}, {error.column or '-'}: {error.message} [{error.code}]", err=True)
        raise click.ClickException(str(rejected)) from None
    except DomainError as error:
        raise click.ClickException(str(error)) from None
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    verb = "Would import" if dry_run else "Imported"
    click.echo(f"{verb} {len(plan.rows)} rows into {period.name}: "
               f"results {plan.count('result', 'create')} new, {plan.count('result', 'update')} updated, "
               f"{plan.count('result', 'unchanged')} unchanged; indicators {plan.count('indicator', 'create')} new, "
               f"{plan.count('indicator', 'update')} updated; units created {len(plan.unknown_units)}.")


indicators_cli = click.Group("indicators", help="Assessment periods and their indicator boards.")


@indicators_cli.command("board")
@click.option("--period", "period_name", required=True, help="Period name, e.g. 2026年上半年考核.")
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True)
@with_appcontext
def board(period_name, output):
    """The period's indicator board, as the office sees it on the page (JSON: one object per indicator)."""
    import json

    from ..extensions import db
    from ..models import AssessmentPeriod
    from ..services.indicators import board as indicator_board

    period = db.session.scalar(db.select(AssessmentPeriod).where(AssessmentPeriod.name == period_name.strip()))
    if period is None:
        raise click.ClickException(f"No period is named {period_name}.")
    rows = indicator_board.records(period)
    if output == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        marks = ", ".join(row["reasons"]) + (f" [hand: {row['hand_mark']}]" if row["hand_mark"] else "")
        click.echo(f"{row['indicator']}\t{row['rank']}/{row['peers']}\t{row['score']}/{row['weight']}\t"
                   f"{'WEAK' if row['weak'] else '-'}\t{marks}\t{' '.join(row['open_tasks'])}\t{row['recheck'] or ''}")
