"""The weekly alert's words: subject, HTML and plain-text mail, in-app text, group-robot markdown.

Everything is rendered inside `force_locale`, in the reader's language (the
default, Chinese, unless they chose another); robots get the default language.
Templates live in templates/email/ and only print what is computed here.
A digest lists at most ALERT_MAX_ROWS tasks (digests.py); every channel
says how many more there are and, where it can carry links, links the task
list that shows them all.
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _

from .. import office_settings

# WeCom refuses markdown over 4096 bytes; DingTalk allows more. Keep under both.
MAX_MARKDOWN_BYTES = 4000
LINE_OVERHEAD = len("- \n")  # what the markdown template adds to a row's line


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
    sort_key: tuple = ()  # AlertRow.sort_key: the least urgent rows are the first a robot message drops


@dataclass
class MoreView:
    """What a digest says about the tasks it does not list."""

    shown: int  # rows listed
    listed: str  # "The 50 most urgent tasks are listed below."
    sentence: str  # "230 more tasks are not listed here; the task list shows them all."
    links: list = field(default_factory=list)  # (label, url) per light with tasks left out
    text_links: list = field(default_factory=list)  # the same as "label: url" lines
    markdown: str = ""  # the sentence and the links on one robot line


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
        self.late = _("Not accepted in time")
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


# What WeCom and DingTalk read as markdown (emphasis, links, headings, quotes, tables, code,
# their <font> tags) or as a new line, in text that users typed: a unit's name, a task's title.
# WeCom has no escape character, so each becomes its full-width twin, which reads the same in
# Chinese text and is no markup.
MARKDOWN_NEUTRAL = str.maketrans({
    "*": "＊", "_": "＿", "`": "｀", "~": "～", "#": "＃", ">": "＞", "<": "＜", "|": "｜",
    "[": "［", "]": "］", "(": "（", ")": "）", "!": "！", "\\": "＼", "\r": " ", "\n": " ", "\t": " ",
})


def markdown_text(text):
    """Text a user typed, safe inside a robot's markdown: no markup, no line breaks."""
    return str(text or "").translate(MARKDOWN_NEUTRAL)


def row_view(row, show_unit=False, words=None):
    """Turn an AlertRow into the strings the templates print."""
    words = words or Words()
    task = row.task
    view = RowView(code=task.code or "", title=task.title, lead_unit=task.lead_unit.name, light=row.light,
                   light_label=words.light(row.state), situation=words.situation(row.state),
                   deadline=task.deadline_on.isoformat(), url=row.url, sort_key=row.sort_key())
    _lines(view, show_unit, words)
    return view


def _lines(view, show_unit, words):
    """Write the row's sentence for the plain-text part and the inbox, and its markdown twin for robots."""
    name = f"{view.code} {view.title}".strip()
    linked = f"[{markdown_text(name)}]({view.url})"
    for attr, task_text, light, unit in (("text_line", name, view.light_label, view.lead_unit),
                                         ("markdown_line", linked, f"**{view.light_label}**",
                                          markdown_text(view.lead_unit))):
        if show_unit:
            task_text = words.with_unit % {"task": task_text, "unit": unit}
        setattr(view, attr, words.line % {"light": light, "task": task_text, "situation": view.situation,
                                          "deadline": view.deadline})


def subject_for(digest, week):
    """The mail subject (also the in-app title and the robot message's title)."""
    counts = {"red": digest.red, "yellow": digest.yellow, "week": week}
    if digest.kind == "unit":
        subject = _("[Weekly alert] %(unit)s: %(red)d red, %(yellow)d yellow, %(week)s", unit=digest.name, **counts)
    elif digest.kind == "summary":
        subject = _("[Weekly alert] County summary: %(red)d red, %(yellow)d yellow, %(week)s", **counts)
    else:
        return _("[Weekly alert] Listed tasks you oversee: %(red)d red, %(yellow)d yellow, %(week)s", **counts)
    if digest.late_total:
        subject = _("%(subject)s, %(num)d not accepted in time", subject=subject, num=digest.late_total)
    return subject


def late_view(row, show_unit, words):
    """A 逾期未签收 row as the templates print it: how long the task has waited for 签收."""
    task = row.task
    view = RowView(code=task.code or "", title=task.title, lead_unit=task.lead_unit.name, light="late",
                   light_label=words.late, deadline=task.deadline_on.isoformat(), url=row.url,
                   situation=ngettext("dispatched %(num)d day ago, not accepted", "dispatched %(num)d days ago, "
                                      "not accepted", row.days), sort_key=row.sort_key())
    _lines(view, show_unit, words)
    return view


def late_title(digest):
    """The 逾期未签收 section's title, with how many tasks it reports and the days allowed."""
    return ngettext("Not accepted in time: %(num)d task (to be accepted within %(days)d days of dispatch)",
                    "Not accepted in time: %(num)d tasks (to be accepted within %(days)d days of dispatch)",
                    digest.late_total, days=office_settings.value("ACCEPT_DUE_DAYS"))


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
    found = [(title, [row_view(row, show_unit, words) for row in rows], show_unit)
             for title, rows, show_unit in sections if rows]
    if digest.late_rows:  # first: accepting is the first thing the unit owes
        show_unit = digest.kind != "unit"
        found.insert(0, (late_title(digest), [late_view(row, show_unit, words) for row in digest.late_rows], show_unit))
    return found


def more_sentence(red, yellow):
    """How many tasks, of which light, a digest does not list; the summary's are all red."""
    if red and yellow:
        return ngettext("%(num)d more task (%(red)d red, %(yellow)d yellow) is not listed here; "
                        "the task list shows them all.",
                        "%(num)d more tasks (%(red)d red, %(yellow)d yellow) are not listed here; "
                        "the task list shows them all.", red + yellow, red=red, yellow=yellow)
    if red:
        return ngettext("%(num)d more red task is not listed here; the task list shows them all.",
                        "%(num)d more red tasks are not listed here; the task list shows them all.", red)
    return ngettext("%(num)d more yellow task is not listed here; the task list shows them all.",
                    "%(num)d more yellow tasks are not listed here; the task list shows them all.", yellow)


def more_view(digest, shown, left_out):
    """The note on tasks left out (`left_out`: light -> how many), or None when every task is listed."""
    num = sum(left_out.values())
    if not num:
        return None
    labels = {"red": _("All red tasks in the task list"), "yellow": _("All yellow tasks in the task list")}
    links = [(labels[light], digest.light_url(light)) for light in ("red", "yellow") if left_out.get(light)]
    sentence = more_sentence(left_out.get("red", 0), left_out.get("yellow", 0))
    listed = ngettext("Only %(num)d task, the most urgent, is listed below.",
                      "The %(num)d most urgent tasks are listed below.", shown) if shown else ""
    # Link text without brackets, so the markdown link is not closed early (as row_view does).
    markdown = " ".join([f"**{sentence}**"] + [f"[{label}]({url})" for label, url in links])
    return MoreView(shown=shown, listed=listed, sentence=sentence, links=links, markdown=markdown,
                    text_links=[_("%(label)s: %(url)s", label=label, url=url) for label, url in links])


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
            "list_url": digest.list_url, "more": more_view(digest, len(digest.rows), digest.left_out),
        }
        html = render_template("email/weekly.html", **context)
        text = render_template("email/weekly_text.html", with_links=True, **context)
        inapp = render_template("email/weekly_text.html", with_links=False, **context)
        markdown = render_markdown(context, digest)
    return Rendered(subject=context["subject"], text=text.strip() + "\n", html=html, inapp_text=inapp.strip(),
                    markdown=markdown)


def render_markdown(context, digest):
    """The group-robot message: the listed rows as markdown, the least urgent dropped until it fits the robots' limit.

    Whatever is dropped is counted with the rows the digest already left out, so the last line
    says how many more there are in all and links the task list.
    """
    views = sorted((view for _title, rows, _unit in context["sections"] for view in rows), key=lambda v: v.sort_key)
    keep = len(views)
    while True:
        kept = {view.sort_key for view in views[:keep]}
        sections = [(title, [view for view in rows if view.sort_key in kept], show_unit)
                    for title, rows, show_unit in context["sections"]]
        # Dropped 逾期未签收 rows (the last to go) are not counted by light: their section's title counts them.
        left_out = Counter(digest.left_out) + Counter(view.light for view in views[keep:] if view.light != "late")
        text = render_template("email/weekly_markdown.html", **{
            **context, "subject": markdown_text(context["subject"]), "intro": markdown_text(context["intro"]),
            "sections": [section for section in sections if section[1]],
            "more": more_view(digest, keep, left_out)}).strip()
        excess = len(text.encode()) - MAX_MARKDOWN_BYTES
        if excess <= 0:
            return text
        if keep == 0:  # only an absurd base URL or unit name gets here: cut rather than be refused
            return text.encode()[:MAX_MARKDOWN_BYTES].decode("utf-8", "ignore")
        while excess > 0 and keep > 0:  # the "N more" line may grow a little: the loop checks again
            keep -= 1
            excess -= len(views[keep].markdown_line.encode()) + LINE_OVERHEAD
