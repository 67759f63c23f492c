"""`flask bulletin ...`: the month's draft and the font check, through the same services as the pages."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..services import DomainError
from ..services.bulletins import frozen as frozen_figures
from ..services.bulletins import lifecycle
from ..services.documents import pdf

bulletin_cli = AppGroup("bulletin", help="Monthly bulletins (月度通报).")


@bulletin_cli.command("monthly")
@click.option("--month", help="YYYY-MM; default: this month on its last day, else the month before.")
@click.option("--format", "kind", type=click.Choice(["pdf", "docx"]), default="pdf", show_default=True,
              help="Which file's path to print: the PDF, or the .docx for WPS and Word.")
def monthly(month, kind):
    """Generate (or re-generate) the month's draft bulletin and print the path of its PDF or .docx.

    For a month already issued, nothing is generated: the stored file's path is printed and the exit code is 1.
    """
    month = month or lifecycle.default_month()
    try:
        pdf.check_fonts()
        bulletin = lifecycle.generate_monthly_draft(month, actor=None)
        if kind == "docx" and bulletin.is_draft:
            lifecycle.write_draft_docx(bulletin)
    except (DomainError, pdf.FontError) as error:
        raise click.ClickException(str(error)) from None
    path = lifecycle.path_of(bulletin) if kind == "pdf" else lifecycle.docx_path_of(bulletin)
    if not bulletin.is_draft:
        click.echo(f"第{bulletin.issue_no}期 ({bulletin.month}) is issued and is never generated again:", err=True)
        click.echo(path)
        raise SystemExit(1)
    click.echo(path)


@bulletin_cli.command("freeze-figures")
def freeze_figures():
    """Freeze the figures of bulletins issued before they were kept with them (rebuilt once from history)."""
    for bulletin in frozen_figures.freeze_missing():
        click.echo(f"{bulletin.month} 第{bulletin.issue_no}期: figures frozen")


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
