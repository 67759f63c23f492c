"""The bulletin as a Word document (.docx) for WPS and Word, from the same figures as the PDF.

Editable text, not images: the masthead, the title, 主送, the five sections with
their tables (header rows repeated on every page, rows built as XML in one
piece: services/documents/docx_tools.py), the close-out rates as a table with
the units below the average marked, 下步要求, and the 版记 (抄送, 印发) in a
table anchored to the foot of the page where the text ends. The fonts are the
ones office PCs have (DOCX_FONT_*), named for East-Asian text on every run. The
wording follows templates/pdf/bulletin.html; the office edits the final text in
Word outside the product.
"""
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Mm, Pt
from flask import current_app

from .. import office_settings
from ..documents import charts, docx_tools
from ..documents.docx_tools import RED, SIZE_2, SIZE_SMALL_4
from .render import cn_date, paragraphs, running_as_of

STATUS = {"assigned": "待签收", "returned": "待调整", "in_progress": "整改中", "pending_review": "待审核销号",
          "closed": "已销号"}
REASONS = {"last_place": "倒数第一", "behind_progress": "未达序时进度", "low_score_rate": "得分率偏低",
           "veto_at_risk": "一票否决风险"}
percent = charts.percent
# The 版记's top, from the top of the text block (225 mm), leaving it ~32 mm: its three lines of 4号 and rules.
# An absolute offset, since LibreOffice ignores tblpYSpec="bottom" (Word and WPS read both).
RECORD_TOP_TWIPS = int(Mm(225 - 32).twips)


def _change(number, noun="项"):
    """增加N项 / 减少N项 / 持平."""
    if number > 0:
        return f"增加{number}{noun}"
    return f"减少{-number}{noun}" if number < 0 else "持平"


def _points(points):
    """提高/下降N个百分点, 持平, or 无可比数据."""
    if points is None:
        return "无可比数据"
    if points > 0:
        return f"提高{points:.1f}个百分点"
    return f"下降{-points:.1f}个百分点" if points < 0 else "持平"


class Writer:
    """Adds the bulletin's parts to one document, in its fonts."""

    def __init__(self, config):
        """A new GB/T 9704 page with the configured Word fonts."""
        self.fonts = docx_tools.fonts(config)
        self.document = docx_tools.new_document(self.fonts["body"])
        # As in the PDF (widows 1): a short paragraph may leave a line to the next page rather than carry
        # itself and the headings before it over, leaving the page a third empty.
        self.document.styles["Normal"].paragraph_format.widow_control = False

    def text(self, text, indent=True, **options):
        """A body paragraph (3号 仿宋), two characters in."""
        options.setdefault("font", self.fonts["body"])
        return docx_tools.add_paragraph(self.document, docx_tools.one_line(text), indent=indent, **options)

    def heading(self, text, level=1):
        """A level-1 (黑体) or level-2 (楷体) heading, kept with what follows."""
        paragraph = self.text(text, font=self.fonts["hei" if level == 1 else "kai"])
        paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def caption(self, text):
        """A table's caption, centred in 黑体, kept with its table."""
        paragraph = self.text(text, indent=False, font=self.fonts["hei"], size=SIZE_SMALL_4,
                              align=WD_ALIGN_PARAGRAPH.CENTER)
        paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def table(self, widths_mm, header, rows):
        """A table whose header row repeats on every page; rows appended one by one as XML."""
        table = docx_tools.new_table(self.document, widths_mm, header, font=self.fonts["hei"], size=Pt(10.5))
        for row in rows:
            docx_tools.add_row(table, [docx_tools.one_line(cell) for cell in row], font=self.fonts["body"],
                               size=Pt(10.5))
        return table


def _masthead(writer, data, bulletin, is_draft, config, document_date):
    """The red 版头, 第N期, office and date, the red rule, the title, the 更正 note and 主送."""
    docx_tools.add_paragraph(writer.document, config["BULLETIN_MASTHEAD"], font=writer.fonts["title"], size=Pt(42),
                             align=WD_ALIGN_PARAGRAPH.CENTER, colour=RED, line_spacing=Pt(60))
    number = bulletin.number_text + ("（更正）" if bulletin.replaces is not None else "")
    docx_tools.add_paragraph(writer.document, number, font=writer.fonts["body"], align=WD_ALIGN_PARAGRAPH.CENTER)
    meta = writer.document.add_paragraph()
    meta.paragraph_format.tab_stops.add_tab_stop(Mm(156), WD_TAB_ALIGNMENT.RIGHT)
    docx_tools.add_run(meta, f"{docx_tools.one_line(config['ISSUING_OFFICE'])}\t{cn_date(document_date)}",
                       writer.fonts["body"])
    docx_tools.add_rule(meta, size_eighths=16)
    first = data.window.first_day
    title = f"关于{first.year}年{first.month}月{config['BULLETIN_AREA']}整改任务推进情况的通报"
    docx_tools.add_paragraph(writer.document, "", line_spacing=Pt(14))
    docx_tools.add_paragraph(writer.document, title, font=writer.fonts["title"], size=SIZE_2,
                             align=WD_ALIGN_PARAGRAPH.CENTER, line_spacing=Pt(36))
    if bulletin.replaces is not None:
        old = bulletin.replaces
        writer.text(f"（本期为更正通报，替代{old.year}年第{old.issue_no}期，原第{old.issue_no}期作废。）", indent=False,
                    font=writer.fonts["kai"], align=WD_ALIGN_PARAGRAPH.CENTER)
    running = running_as_of(data, is_draft)
    if is_draft:
        mark = "草稿" + (f" · 截至{running.month}月{running.day}日" if running else "") + " · 未定稿，不得印发"
        writer.text(mark, indent=False, font=writer.fonts["hei"], size=Pt(10.5), colour=RED,
                    align=WD_ALIGN_PARAGRAPH.CENTER)
    writer.text(config["BULLETIN_MAIN_TO"], indent=False)


def _overview(writer, data, area):
    """一、总体情况."""
    as_of, totals = cn_date(data.window.as_of), data.totals
    writer.text(f"现将截至{as_of}{area}整改任务推进情况通报如下。")
    writer.heading("一、总体情况")
    if data.is_empty:
        writer.text(f"截至{as_of}，{area}暂无在办或本年度已办结的整改任务，本月无逾期任务。")
        return
    writer.text(f"截至{as_of}，{area}共有整改任务{totals.tasks}项，已销号{totals.closed}项，销号率"
                f"{percent(totals.close_rate)}；正在整改{totals.in_progress}项，待签收{totals.to_accept}项，待审核销号"
                f"{totals.pending_review}项；逾期未完成{totals.overdue}项。按期完成率{percent(totals.on_time_rate)}。"
                f"本月督查室共催办{totals.urges}次。")
    before, change = data.previous, data.change
    if before.tasks:
        writer.text(f"与上月末相比，任务总数{_change(change.tasks)}，本月新销号{change.closed}项，逾期任务"
                    f"{_change(change.overdue)}，销号率{_points(change.close_rate_points)}（上月末任务{before.tasks}项、"
                    f"已销号{before.closed}项、逾期{before.overdue}项，销号率{percent(before.close_rate)}）。")
    else:
        writer.text("上月末尚无整改任务，本月不作环比。")


def _ranking(writer, data, area):
    """二、单位排名: the ranking table, the close-out rates against the average, who must explain."""
    writer.heading("二、单位排名")
    if not data.units:
        writer.text("本月无牵头单位承担整改任务，不作排名。")
        return
    writer.heading("（一）各单位推进情况", 2)
    writer.text("按牵头单位统计，各单位整改任务推进情况见表1。排名先看逾期任务数（少者在前），再看按期完成率、销号率（高者在前）。")
    writer.caption("表1 各牵头单位整改任务推进情况排名")
    writer.table((14, 42, 14, 14, 17, 20, 14, 21),
                 ("名次", "牵头单位", "任务数", "已销号", "销号率", "按期完成率", "逾期", "本月催办"),
                 ((row.rank, row.unit_name + (" ▲" if row.needs_explanation else ""), row.tasks, row.closed,
                   percent(row.close_rate), percent(row.on_time_rate), row.overdue, row.urges) for row in data.units))
    writer.text("注：销号率＝已销号任务数÷任务数；按期完成率＝按期销号任务数÷应完成任务数，无应完成任务的记“—”；"
                "▲为须报送情况说明的单位。", indent=False, size=Pt(10.5))
    average = data.totals.close_rate
    writer.heading("（二）销号率对比", 2)
    writer.text(f"各牵头单位整改任务销号率见表2，{area}平均销号率{percent(average)}，低于平均的标“▼低于平均”。")
    writer.caption("表2 各牵头单位整改任务销号率")
    ordered = sorted(data.units, key=lambda row: (-(row.close_rate or 0), row.rank, row.unit_name))
    writer.table((20, 76, 30, 30), ("序号", "牵头单位", "销号率", "与平均比较"),
                 ((index, row.unit_name, percent(row.close_rate),
                   "▼低于平均" if average is not None and (row.close_rate or 0) < average else "")
                  for index, row in enumerate(ordered, 1)))
    writer.heading("（三）须报送情况说明的单位", 2)
    names = [row.unit_name for row in data.explain_units]
    if names:
        many = f"等{len(names)}个单位" if len(names) > 1 else ""
        writer.text(f"{'、'.join(names)}{many}排名靠后、存在逾期任务，请于收到本通报后5个工作日内向督查室书面报送情况说明，"
                    "说明逾期原因、整改措施和完成时限。")
    else:
        writer.text("本月各单位均无逾期任务，无须报送情况说明。")


def _overdue(writer, data, area):
    """三、逾期任务点名."""
    writer.heading("三、逾期任务点名")
    as_of = cn_date(data.window.as_of)
    if not data.overdue:
        writer.text(f"截至{as_of}，{area}无逾期未完成的整改任务。")
        return
    writer.text(f"截至{as_of}，以下{len(data.overdue)}项任务已超过完成时限仍未完成，予以点名通报（见表3）。")
    writer.caption("表3 逾期未完成整改任务")
    writer.table((12, 54, 30, 18, 26, 16), ("序号", "任务", "牵头单位", "责任人", "完成时限", "逾期天数"),
                 ((index, row.title, row.unit_name, row.owner_name or "未签收", cn_date(row.deadline_on), row.days_late)
                  for index, row in enumerate(data.overdue, 1)))


def _weak_reasons(row):
    """The reasons an indicator is weak, in words."""
    words = [f"后{row.bottom_k}名" if reason == "bottom_k" else REASONS.get(reason, reason) for reason in row.reasons]
    if row.hand_mark == "weak":
        words.append(f"督查室认定：{row.hand_mark_reason}")
    return "、".join(words)


def _weak_tasks(row):
    """The tasks of a weak indicator, one line each."""
    if not row.tasks:
        return "尚未下发整改任务"
    lines = [f"整改任务{len(row.tasks)}项，已销号{row.closed_tasks}项"]
    for index, task in enumerate(row.tasks, 1):
        carried = f"{task.origin_period_name}结转，" if task.origin_period_name else ""
        state = f"，逾期{task.days_late}天" if task.is_overdue else (
            f"，时限{cn_date(task.deadline_on)}" if task.status != "closed" else "")
        status = STATUS.get(task.status, task.status)
        lines.append(f"{index}. {task.unit_name}：{task.title}（{carried}{status}{state}）")
    return "；".join(lines)


def _rank(rank):
    """第N名, or — when unranked."""
    return "—" if rank is None else f"第{rank}名"


def _weak(writer, data, area):
    """四、弱项指标整改进展."""
    writer.heading("四、弱项指标整改进展")
    weak = data.weak
    if weak is None:
        writer.text(f"截至{cn_date(data.window.as_of)}尚未导入考核结果，暂无弱项指标。")
        return
    if not weak.rows:
        writer.text(f"{weak.period_name}中{area}无弱项指标。")
    else:
        writer.text(f"{weak.period_name}中{area}共有弱项指标{len(weak.rows)}个，按失分多少排列，整改进展见表4。")
        writer.caption("表4 弱项指标整改进展")
        writer.table((30, 24, 14, 88), ("指标", "全市排名", "失分", "整改任务及进展"),
                     ((f"{row.name}（{_weak_reasons(row)}）" if _weak_reasons(row) else row.name,
                       f"上期{_rank(row.previous_rank)}，本期{_rank(row.rank)}", f"{row.points_lost:.2f}",
                       _weak_tasks(row)) for row in weak.rows))
    if weak.not_weak_marks:
        marks = "；".join(f"{name}（{reason}）" for name, reason in weak.not_weak_marks)
        writer.text(f"经督查室认定，以下指标本期不列为弱项：{marks}。")
    if weak.no_effect:
        named = "；".join(f"{row.unit_name}“{row.title}”（{row.indicator_name}，{row.origin_period_name}）"
                         for row in weak.no_effect)
        writer.text(f"回头看：已销号任务中，{len(weak.no_effect)}项所涉指标在{weak.period_name}中仍为弱项，整改成效未显现：{named}，"
                    "请相关单位重新研究整改措施。")


def _record(writer, config, document_date):
    """版记: 抄送 and 印发 between rules, in a table floated to the foot of the page where the text ends.

    Floating tables do not push the text away in every reader: when the last page is full the
    office moves the 版记 to a page of its own in Word, as it would by hand.
    """
    body = writer.fonts["body"]
    # A little narrower than the text block: LibreOffice imports a full-width floating table as an inline one.
    table = docx_tools.new_table(writer.document, (150,), None, font=body, size=Pt(14))
    docx_tools.add_row(table, [f"抄送：{docx_tools.one_line(config['BULLETIN_COPY_TO'])}"], font=body, size=Pt(14))
    docx_tools.add_row(table, [f"{docx_tools.one_line(config['ISSUING_OFFICE'])}　　{cn_date(document_date)}印发"],
                       font=body, size=Pt(14))
    table.style = None
    properties = table._tbl.tblPr
    # Floating, anchored to the bottom of the text block; only horizontal rules (GB/T 9704 版记).
    # Word refuses table properties out of the schema's order, hence insert_element_before.
    properties.insert_element_before(
        parse_xml(f'<w:tblpPr {nsdecls("w")} w:vertAnchor="margin" w:horzAnchor="margin" '
                  f'w:tblpXSpec="center" w:tblpY="{RECORD_TOP_TWIPS}"/>'),
        "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
        "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    properties.insert_element_before(
        parse_xml(f'<w:tblBorders {nsdecls("w")}><w:top w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
                  '<w:left w:val="nil"/><w:bottom w:val="single" w:sz="8" w:space="0" w:color="000000"/>'
                  '<w:right w:val="nil"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                  '<w:insideV w:val="nil"/></w:tblBorders>'),
        "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook")
    writer.document.add_paragraph()  # a paragraph must follow a table at the end of a document


def render_docx(data, bulletin, is_draft, document_date, config=None):
    """The bulletin as .docx bytes, built in memory (a failure leaves no half-written file)."""
    config = config if config is not None else {**current_app.config, **office_settings.values()}
    writer = Writer(config)
    area = config["BULLETIN_AREA"]
    _masthead(writer, data, bulletin, is_draft, config, document_date)
    _overview(writer, data, area)
    _ranking(writer, data, area)
    _overdue(writer, data, area)
    _weak(writer, data, area)
    writer.heading("五、下步要求")
    for text in paragraphs(bulletin.requirements_text):
        writer.text(text)
    if not bulletin.requirements_text:
        writer.text("（下步要求由督查室在定稿前填写。）", colour=RED)
    _record(writer, config, document_date)
    docx_tools.add_page_number(writer.document, writer.fonts["body"])
    return docx_tools.to_bytes(writer.document)
