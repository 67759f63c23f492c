"""The bulletin as a printed document: the figures into templates/pdf/bulletin.html, then into a PDF.

The document's wording is written in Chinese in the template itself: it is an
official document (GB/T 9704 layout) printed for county leaders, not a screen of
the UI, so it does not follow the UI language.
"""
from flask import current_app
from markupsafe import Markup, escape

from .. import office_settings
from ..documents import charts, pdf
from ..documents.official import cn_date
from ..documents.pdf import font_stacks

CHART_ROWS = 40  # units per chart: a taller chart would not fit on one A4 page
CN_NUMERALS = "〇一二三四五六七八九十"
TEXT_BLOCK_PT = 442.2  # 版心 width, 156 mm
RED = "#c8161d"


def cn_number(number):
    """A small positive number in Chinese numerals (1 → 一, 12 → 十二), for section numbering."""
    if number <= 10:
        return CN_NUMERALS[number]
    tens, units = divmod(number, 10)
    return (CN_NUMERALS[tens] if tens > 1 else "") + "十" + (CN_NUMERALS[units] if units else "")


def paragraphs(text):
    """The supervisor's text as paragraphs: one per non-blank line, whitespace trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def close_rate_charts(data, stacks):
    """The close-out rate of each unit, best first, as one or more SVG charts (CHART_ROWS units each)."""
    ordered = sorted(data.units, key=lambda row: (-(row.close_rate or 0), row.rank, row.unit_name))
    items = [(row.unit_name, row.close_rate) for row in ordered]
    chunks = [items[start:start + CHART_ROWS] for start in range(0, len(items), CHART_ROWS)]
    return [charts.bar_chart_svg(chunk, font_family=stacks["hei"], average=data.totals.close_rate,
                                 average_label="平均", width=560, row_height=16, font_size=10)
            for chunk in chunks]


def title_lines(segments, size_pt, width_pt=TEXT_BLOCK_PT):
    """Pack title segments into lines that fit the text block; a segment is only split when it alone is too wide."""
    lines, line = [], ""
    for segment in segments:
        if line and charts.text_width(line + segment, size_pt) > width_pt:
            lines.append(line)
            line = ""
        line += segment
        while charts.text_width(line, size_pt) > width_pt:
            cut = len(line)
            while cut > 1 and charts.text_width(line[:cut], size_pt) > width_pt:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    return lines + ([line] if line else [])


def heading_svg(lines, size_pt, family, colour="#000", stroke=0.0, spacing=0.0, line_height=1.45):
    """Centred lines of large text as SVG, outlined by `stroke` pt so a font without a bold weight prints bold.

    Free CJK fonts in Debian have no heavy Song (小标宋); WeasyPrint cannot embolden a
    font, but it draws SVG text with a stroke, and the text stays text (searchable).
    `spacing` spreads the characters (em), as mastheads are set.
    """
    height = size_pt * line_height * len(lines) + size_pt * 0.3
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="heading" width="{TEXT_BLOCK_PT}pt" '
              f'height="{height:.1f}pt" viewBox="0 0 {TEXT_BLOCK_PT} {height:.1f}" '
              f'style="width: 156mm; height: {height:.1f}pt">')]
    outline = f' stroke="{colour}" stroke-width="{stroke:g}" stroke-linejoin="round"' if stroke else ""
    paint = f'fill="{colour}"' + outline
    for index, line in enumerate(lines):
        baseline = size_pt * line_height * index + size_pt * 1.05
        widths = [charts.text_width(ch, size_pt) for ch in line]
        gap = size_pt * spacing
        x = (TEXT_BLOCK_PT - sum(widths) - gap * (len(line) - 1)) / 2
        if spacing:
            for ch, width in zip(line, widths, strict=False):
                parts.append(f'<text x="{x + width / 2:.1f}" y="{baseline:.1f}" text-anchor="middle" '
                             f'font-family="{escape(family)}" font-size="{size_pt:g}" {paint}>{escape(ch)}</text>')
                x += width + gap
        else:
            parts.append(f'<text x="{TEXT_BLOCK_PT / 2:.1f}" y="{baseline:.1f}" text-anchor="middle" '
                         f'font-family="{escape(family)}" font-size="{size_pt:g}" {paint}>{escape(line)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def headings(data, config, stacks):
    """The red masthead (版头) and the title (2号), as SVG (see heading_svg)."""
    bold = config["BULLETIN_EMBOLDEN"]
    first = data.window.first_day
    segments = [f"关于{first.year}年{first.month}月", config["BULLETIN_AREA"], "整改任务", "推进情况的通报"]
    masthead = heading_svg([config["BULLETIN_MASTHEAD"]], 42, stacks["title"], RED, 1.3 if bold else 0, 0.3, 1.25)
    title = heading_svg(title_lines(segments, 22), 22, stacks["title"], "#000", 0.45 if bold else 0)
    return masthead, title


def one_line(text):
    """Text for a single-line place of the document: line breaks and runs of spaces become one space."""
    return " ".join(str(text or "").split())


def running_as_of(data, is_draft):
    """The day a draft of a running month stands at (截至M月D日); None for an ended month or an issue."""
    return data.window.as_of if is_draft and data.window.as_of < data.window.last_day else None


def render_html(data, bulletin, is_draft, document_date, config=None):
    """The bulletin's HTML: self-contained (inline CSS and SVG), every user text escaped by Jinja."""
    config = config if config is not None else {**current_app.config, **office_settings.values()}
    stacks = font_stacks(config)
    masthead_svg, title_svg = headings(data, config, stacks)
    template = current_app.jinja_env.get_template("pdf/bulletin.html")
    return template.render(
        data=data, bulletin=bulletin, is_draft=is_draft, document_date=document_date, fonts=stacks,
        masthead_svg=masthead_svg, title_svg=title_svg,
        office=config["ISSUING_OFFICE"], masthead=config["BULLETIN_MASTHEAD"], area=config["BULLETIN_AREA"],
        requirements=paragraphs(bulletin.requirements_text), charts=close_rate_charts(data, stacks),
        main_to=config["BULLETIN_MAIN_TO"], copy_to=one_line(config["BULLETIN_COPY_TO"]),
        replaces=bulletin.replaces, running_as_of=running_as_of(data, is_draft),
        cn_date=cn_date, cn_number=cn_number, percent=charts.percent,
    )


def render_pdf(data, bulletin, is_draft, document_date, config=None):
    """The bulletin as PDF bytes (FontError when a configured font is missing)."""
    config = config if config is not None else {**current_app.config, **office_settings.values()}
    return pdf.create_pdf(render_html(data, bulletin, is_draft, document_date, config), config,
                          adjust=lambda document: pdf.to_page_foot(document, "record"))
