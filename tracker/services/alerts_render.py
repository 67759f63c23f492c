"""The weekly alert's words: subject, HTML and plain-text mail, in-app text, group-robot markdown.

Everything is rendered inside `force_locale`, in the reader's language (the
default, Chinese, unless they chose another); robots get the default language.
Templates live in templates/email/ and only print what is computed here.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _

# WeCom refuses markdown over 4096 bytes; DingTalk allows more. Keep under both.
MAX_MARKDOWN_BYTES = 4000


@dataclass
class Rendered:
    """One digest in one language, ready for every channel."""

    subject: str
    text: str
    html: str
    inapp_text: str
    markdown: str


@dataclass
class RowView:
    """One row as the templates print it."""

    code: str
    title: str
    lead_unit: str
    light: str
    light_label: str
    situation: str
    deadline: str
    url: str
    text_line: str = ""  # the whole row in a sentence, for the plain-text part and the inbox
    markdown_line: str = ""  # the same with the task as a link, for group robots


def default_locale():
    """The application's default language (zh_CN unless configured otherwise)."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def week_label(day):
    """How a week is named: 2026年第48周."""
    year, week, _weekday = day.isocalendar()
    return _("Week %(week)d of %(year)d", week=week, year=year)


def week_heading(day):
    """The week with its days: 2026年第48周（2026年11月23日至2026年11月29日）."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    return _("%(week)s (%(start)s to %(end)s)", week=week_label(day), start=format_date(monday, "long"),
             end=format_date(monday + timedelta(days=6), "long"))


def situation(state):
    """Days late for a red task; days left and the yellow reasons for a yellow one."""
    if state.light == "red":
        return ngettext("%(num)d day late", "%(num)d days late", state.days_late)
    parts = []
    if state.days_left == 0:
        parts.append(_("due today"))
    elif state.days_left is not None and state.days_left > 0:
        parts.append(ngettext("%(num)d day left", "%(num)d days left", state.days_left))
    parts.extend(str(reason) for reason in state.reasons)
    return _(", ").join(parts)


# locale -> {(light, days late, days left, reasons): situation text}; a few thousand entries at most.
_SITUATIONS = {}


class Words:
    """The row phrases in the current language, each translated once per rendering, not once per row.

    A province's weekly alert prints some 90,000 rows; gettext per row took most of the job's time.
    """

    def __init__(self):
        """Translate the row templates (gettext without variables returns the template itself)."""
        self.line = _("[%(light)s] %(task)s: %(situation)s; deadline %(deadline)s")
        self.with_unit = _("%(task)s (lead unit: %(unit)s)")
        self._situations = _SITUATIONS.setdefault(str(get_locale()), {})
        self._lights = {}

    def situation(self, state):
        """situation(state), remembered by what it depends on (reasons by their message id)."""
        key = (state.light, state.days_late, state.days_left,
               tuple(getattr(reason, "_args", (reason,)) for reason in state.reasons))
        if key not in self._situations:
            self._situations[key] = situation(state)
        return self._situations[key]

    def light(self, state):
        """The light's label."""
        if state.light not in self._lights:
            self._lights[state.light] = str(state.light_label)
        return self._lights[state.light]


def row_view(row, show_unit=False, words=None):
    """Turn an AlertRow into the strings the templates print."""
    words = words or Words()
    task = row.task
    view = RowView(code=task.code or "", title=task.title, lead_unit=task.lead_unit.name, light=row.light,
                   light_label=words.light(row.state), situation=words.situation(row.state),
                   deadline=task.deadline_on.isoformat(), url=row.url)
    name = f"{view.code} {view.title}".strip()
    # Markdown link text must not close the link early.
    linked = f"[{name.replace('[', '(').replace(']', ')')}]({view.url})"
    for attr, task_text, light in (("text_line", name, view.light_label),
                                   ("markdown_line", linked, f"**{view.light_label}**")):
        if show_unit:
            task_text = words.with_unit % {"task": task_text, "unit": view.lead_unit}
        setattr(view, attr, words.line % {"light": light, "task": task_text, "situation": view.situation,
                                          "deadline": view.deadline})
    return view


def subject_for(digest, week):
    """The mail subject (also the in-app title and the robot message's title)."""
    counts = {"red": digest.red, "yellow": digest.yellow, "week": week}
    if digest.kind == "unit":
        return _("[Weekly alert] %(unit)s: %(red)d red, %(yellow)d yellow, %(week)s", unit=digest.name, **counts)
    if digest.kind == "summary":
        return _("[Weekly alert] County summary: %(red)d red, %(yellow)d yellow, %(week)s", **counts)
    return _("[Weekly alert] Listed tasks you oversee: %(red)d red, %(yellow)d yellow, %(week)s", **counts)


def intro_for(digest, today):
    """The opening sentence."""
    day = format_date(today, "long")
    if digest.kind == "unit":
        return _("%(unit)s: as of %(date)s these tasks are overdue (red) or need attention (yellow). "
                 "Please act on them and report progress this week.", unit=digest.name, date=day)
    if digest.kind == "summary":
        return _("As of %(date)s, %(red)d tasks across the county are overdue (red) and %(yellow)d need "
                 "attention (yellow).", date=day, red=digest.red, yellow=digest.yellow)
    return _("%(name)s: as of %(date)s these listed tasks for which you are the responsible leader are overdue "
             "(red) or need attention (yellow).", name=digest.name, date=day)


def sections_for(digest):
    """(title, rows, show lead unit column) for each non-empty section."""
    if digest.kind == "unit":
        sections = [(_("Tasks your unit leads"), digest.lead_rows, False),
                    (_("Tasks your unit co-organizes"), digest.co_rows, True)]
    elif digest.kind == "summary":
        sections = [(_("Overdue tasks"), digest.lead_rows, True)]
    else:
        sections = [(_("Listed tasks"), digest.lead_rows, True)]
    words = Words()
    return [(title, [row_view(row, show_unit, words) for row in rows], show_unit) for title, rows, show_unit in sections
            if rows]


def count_lines(digest):
    """The summary's per-unit counts as sentences."""
    return [_("%(unit)s: %(red)d red, %(yellow)d yellow", unit=name, red=red, yellow=yellow)
            for name, red, yellow in digest.unit_counts]


def render(digest, today, locale=None):
    """Render one digest in one language (the default when None)."""
    with force_locale(locale or default_locale()):
        week = week_label(today)
        context = {
            "subject": subject_for(digest, week), "intro": intro_for(digest, today), "digest": digest,
            "sections": sections_for(digest), "unit_counts": digest.unit_counts, "week": week,
            "week_heading": week_heading(today), "count_lines": count_lines(digest),
            "list_url": digest.list_url,
        }
        html = render_template("email/weekly.html", **context)
        text = render_template("email/weekly_text.html", with_links=True, **context)
        inapp = render_template("email/weekly_text.html", with_links=False, **context)
        markdown = render_markdown(context)
    return Rendered(subject=context["subject"], text=text.strip() + "\n", html=html, inapp_text=inapp.strip(),
                    markdown=markdown)


def render_markdown(context):
    """The group-robot message: the same rows as markdown, cut to fit the robots' size limit."""
    lines = render_template("email/weekly_markdown.html", **context).strip().splitlines()
    more_template = _("… and %(num)d more: [open the task list](%(url)s)")
    kept, size = [], 0
    rows_total = sum(1 for line in lines if line.startswith("- "))
    rows_kept = 0
    budget = MAX_MARKDOWN_BYTES - len(more_template.encode()) - 40
    for line in lines:
        cost = len(line.encode()) + 1
        if size + cost > budget:
            break
        kept.append(line)
        size += cost
        rows_kept += line.startswith("- ")
    if len(kept) < len(lines):
        kept.append(more_template % {"num": rows_total - rows_kept, "url": context["list_url"]})
    return "\n".join(kept)
