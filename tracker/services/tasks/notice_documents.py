"""The printed 督办通知单 / 催办通知单: one set of fields, as PDF (the bulletin's PDF path) and as Word.

Like the bulletin, a notice is an official document written in Chinese whatever the
reader's UI language. The fields are gathered once (`notice_fields`) and both formats
print exactly those. User text (titles, unit names, problems) is escaped by Jinja in
the PDF and cleaned of control characters in the .docx; single-line places fold line
breaks into spaces. Both are rendered in memory: a failure leaves no file behind.
"""
import io
from dataclasses import dataclass, field
from datetime import date

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ... import clock, permissions
from .. import DomainError, PermissionDenied, office_settings
from ..documents import docx_tools, links, pdf, qr
from ..documents.official import cn_date
from . import notices

KIND_TITLES = {"dispatch": "督办通知单", "urge": "催办通知单"}
LATE_PHRASES = {
    "not_accepted": "任务下发后未签收",
    "overdue": "超过完成时限（{deadline}）仍未完成整改",
    "milestone": "时间节点“{title}”逾期未完成",
    "silent": "未按要求报送整改进展",
}


class NoticeRefused(DomainError):
    """The notice cannot be printed as things stand (e.g. its QR code would point at this machine)."""


@dataclass
class NoticeFields:
    """Everything a notice prints, as text."""

    kind: str
    title: str
    doc_number: str
    revised_on: str | None
    addressee: str
    opening: str
    rows: list = field(default_factory=list)  # (label, text)
    late: list = field(default_factory=list)  # (what, since)
    remark: str = ""  # an urge: the office's own words
    closing: str = ""
    office: str = ""
    issued_on: str = ""
    url: str = ""


def task_url(task):
    """The task page's full address for the QR code; NoticeRefused in production while it is the loopback default."""
    if current_app.config.get("IS_PRODUCTION") and links.is_loopback_base_url():
        raise NoticeRefused(_("Notices cannot be printed yet: TRACKER_BASE_URL is still %(url)s, so the QR code "
                              "would open nothing on another computer. Set TRACKER_BASE_URL to the site's address.",
                              url=current_app.config["TRACKER_BASE_URL"]))
    return links.absolute_url("tasks.detail", task_id=task.id)


def _person(user):
    """A person as printed: name and title (职务)."""
    if user is None:
        return ""
    name = docx_tools.one_line(user.display_name)
    return f"{name}（{docx_tools.one_line(user.title)}）" if user.title else name


def _indicator(task):
    """The indicator line: name, period and rank then."""
    result = task.indicator_result
    if result is None:
        return "—"
    text = f"{result.indicator.name}（{result.period.name}"
    if result.rank and result.peer_count:
        text += f"，排第{result.rank}名/{result.peer_count}"
    return text + "）"


def _milestone_line(milestone):
    """One milestone as the notice lists it: its date, what is due, and whether it is done."""
    done = "（已完成）" if milestone.is_done else ""
    return f"{cn_date(milestone.due_on)}　{docx_tools.one_line(milestone.title)}{done}"


def _late(notice, task):
    """What the urge said was late, with since when (kept on the notice at the urge)."""
    rows = []
    for item in notice.late_items or []:
        since = date.fromisoformat(item["since"])
        deadline = date.fromisoformat(item["deadline"]) if item.get("deadline") else task.deadline_on
        phrase = LATE_PHRASES.get(item["what"], item["what"]).format(
            deadline=cn_date(deadline), title=docx_tools.one_line(item.get("title", "")))
        rows.append((phrase, cn_date(since)))
    return rows


def notice_fields(notice):
    """The fields of one notice as it prints today (the task's current text; an urge's late items as kept)."""
    task = notice.task
    office = office_settings.value("ISSUING_OFFICE")
    replaced = notices.superseded_at(notice)
    revised = notices.revised_on(notice, until=replaced)
    # The notice in force prints the task as it stands, to its lead unit now (a correction may have
    # changed it); one replaced by a reassignment stays addressed to the unit it went to.
    addressee = notice.unit if replaced is not None or notice.kind == "urge" else task.lead_unit
    with force_locale("zh_CN"):
        source = str(task.source_label) + (f"：{task.source_detail}" if task.source_detail else "")
        level = str(task.level_label)
    reply = cn_date(notice.reply_due_on)
    if notice.kind == "dispatch":
        opening = (f"现将“{docx_tools.one_line(task.title)}”整改任务交你单位牵头办理。请高度重视，明确责任人，"
                   f"按照整改措施和时间节点抓好落实，并于{reply}前将签收及推进情况书面回告{office}。")
        closing = "请于上述期限内回告。逾期未回告的，纳入督查考核。"
    else:
        situation = "存在以下逾期或滞后情况" if notice.late_items else "推进缓慢"
        opening = (f"你单位牵头办理的“{docx_tools.one_line(task.title)}”整改任务{situation}，"
                   f"现予催办。请立即采取措施加快推进，并于{reply}前将整改进展和下步措施书面回告{office}。")
        closing = "对催办后仍无实质进展的，将在月度通报中点名。"
    rows = [
        ("任务编号", task.code or "—"),
        ("任务名称", docx_tools.one_line(task.title)),
        ("任务来源", docx_tools.one_line(source)),
        ("考核指标", docx_tools.one_line(_indicator(task))),
        ("牵头单位", docx_tools.one_line(addressee.name)),
        ("配合单位", "、".join(docx_tools.one_line(unit.name) for unit in task.co_units) or "—"),
        ("责任领导", _person(task.responsible_leader) or "—"),
        ("责任人", _person(task.owner) or "签收时确定"),
        ("督办级别", level),
        ("存在问题", docx_tools.clean(task.problem or "—")),
        ("整改措施", docx_tools.clean(task.measures or "—")),
        ("完成时限", cn_date(task.deadline_on)),
        ("时间节点", "\n".join(_milestone_line(m) for m in task.milestones) or "—"),
        ("回告期限", reply),
    ]
    return NoticeFields(
        kind=notice.kind, title=KIND_TITLES[notice.kind], doc_number=notice.doc_number,
        revised_on=cn_date(revised) if revised else None,
        addressee=docx_tools.one_line(addressee.name) + "：", opening=opening, rows=rows,
        late=_late(notice, task) if notice.kind == "urge" else [], closing=closing, office=office,
        remark=docx_tools.clean(notice.urge.message) if notice.urge is not None else "",
        issued_on=cn_date(revised or clock.to_local(notice.issued_at).date()), url=task_url(task),
    )


def render_pdf(notice, config=None):
    """The notice as PDF bytes, through documents/pdf.py (restricted fetcher, the configured fonts)."""
    config = config if config is not None else {**current_app.config, **office_settings.values()}
    fields = notice_fields(notice)
    stacks = pdf.font_stacks(config)
    html = current_app.jinja_env.get_template("pdf/notice.html").render(
        notice=fields, fonts=stacks, qr_svg=qr.svg(fields.url, size_mm=24))
    return pdf.create_pdf(html, config)


def render_docx(notice, config=None):
    """The notice as .docx bytes, with the fonts office PCs have and the QR code as a picture."""
    config = config if config is not None else {**current_app.config, **office_settings.values()}
    fields = notice_fields(notice)
    names = docx_tools.fonts(config)
    document = docx_tools.new_document(names["body"])
    center = WD_ALIGN_PARAGRAPH.CENTER
    office = docx_tools.add_paragraph(document, fields.office, names["title"], docx_tools.SIZE_2, align=center,
                                      colour=docx_tools.RED, line_spacing=Pt(36))
    docx_tools.add_rule(office)
    docx_tools.add_paragraph(document, fields.title, names["title"], docx_tools.SIZE_2, align=center,
                             line_spacing=Pt(40))
    number = fields.doc_number + (f"（更新）{fields.revised_on}" if fields.revised_on else "")
    docx_tools.add_paragraph(document, number, names["body"], align=center)
    docx_tools.add_paragraph(document, fields.addressee, names["body"])
    docx_tools.add_paragraph(document, fields.opening, names["body"], indent=True)
    if fields.remark:
        docx_tools.add_paragraph(document, "催办意见：" + fields.remark, names["body"], indent=True)
    table = docx_tools.new_table(document, [30, 126], font=names["body"])
    for label, text in fields.rows:
        docx_tools.add_row(table, [label, text], names["body"])
    if fields.late:
        docx_tools.add_paragraph(document, "逾期或滞后事项", names["hei"])
        late = docx_tools.new_table(document, [116, 40], ["事项", "起始日期"], names["body"])
        for what, since in fields.late:
            docx_tools.add_row(late, [what, since], names["body"])
    docx_tools.add_paragraph(document, fields.closing, names["body"], indent=True)
    picture = document.add_paragraph()
    picture.add_run().add_picture(_png_stream(fields.url), width=Mm(26))
    docx_tools.add_paragraph(document, "扫码查看任务：" + fields.url, names["body"], docx_tools.SIZE_SMALL_4)
    for text in (fields.office, fields.issued_on):
        docx_tools.add_paragraph(document, text, names["body"], align=WD_ALIGN_PARAGRAPH.RIGHT)
    docx_tools.add_page_number(document, names["body"])
    return docx_tools.to_bytes(document)


def _png_stream(url):
    """The QR code as a PNG stream for python-docx."""
    return io.BytesIO(qr.png(url))


def filename(notice, extension):
    """The download name: 督办〔2026〕3号-ZG2026-0007.pdf (only characters every system accepts)."""
    code = "".join(ch for ch in (notice.task.code or f"task{notice.task_id}") if ch.isalnum() or ch in "-_")
    return f"{notice.doc_number}-{code}.{extension}"



FORMATS = {
    "pdf": (render_pdf, "application/pdf"),
    "docx": (render_docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
}


def printed(actor, notice, fmt):
    """The notice in `fmt` (pdf, docx) for `actor`: (bytes, mimetype, file name); PermissionDenied when not theirs."""
    if not permissions.can_print_notices(actor, notice.task):
        raise PermissionDenied(_("Only the supervision office and the task's units may print its notices."))
    render, mimetype = FORMATS[fmt]
    return render(notice), mimetype, filename(notice, fmt)
