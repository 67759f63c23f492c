"""`flask bulletin ...`: the month's draft and the font check, through the same services as the pages."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..services import DomainError
from ..services.bulletins import lifecycle
from ..services.documents import pdf

bulletin_cli = AppGroup("bulletin", help="Monthly bulletins (月度通报).")


@bulletin_cli.command("monthly")
@click.option("--month", help="YYYY-MM; default: this month on its last day, else the month before.")
def monthly(month):
    """Generate (or re-generate) the month's draft bulletin and print the path of its PDF."""
    month = month or lifecycle.default_month()
    try:
        pdf.check_fonts()
        bulletin = lifecycle.generate_monthly_draft(month, actor=None)
    except (DomainError, pdf.FontError) as error:
        raise click.ClickException(str(error)) from None
    path = lifecycle.path_of(bulletin)
    if bulletin.status == "issued":
        click.echo(f"第{bulletin.issue_no}期 ({bulletin.month}) is issued and is never generated again: {path}",
                   err=True)
        raise SystemExit(1)
    click.echo(path)


@bulletin_cli.command("check-fonts")
def check_fonts():
    """Check that every configured bulletin font is installed with Chinese glyphs; exit 1 if not."""
    families = pdf.chinese_font_families(refresh=True)
    problems = pdf.font_problems(current_app.config)
    for key, role in pdf.FONT_SETTINGS.items():
        family = current_app.config.get(key) or ""
        state = "ok" if family in families else "MISSING"
        click.echo(f"{key:24} {family!r:28} {state:8} {role}")
    if problems:
        raise click.ClickException(" ".join(problems))
