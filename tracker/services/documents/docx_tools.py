"""Word (.docx) output for WPS and Word: small helpers over python-docx, and over its XML where it has no API.

Every .docx the product writes (bulletins, 督办/催办通知单) is built with these, so the
GB/T 9704 page, the fonts and the few raw-XML tricks live in one place:

- East-Asian fonts: python-docx's `run.font.name` sets only the Latin font (w:ascii,
  w:hAnsi); Word and WPS pick Chinese glyphs from w:eastAsia, which has no API. Every
  run gets all of them (`set_fonts`), and the document's default style too.
- Repeated header rows (`repeat_header`): w:tblHeader on the row's properties.
- Fields (`add_field`, `add_page_number`): PAGE as a complex field, so the number is
  Word's own and stays right after the office edits the text.
- Large tables: python-docx's `table.cell(r, c)` and `row.cells` walk the whole grid
  (quadratic in rows) and its element helpers cost ~0.7 ms a cell, so `add_row` builds a
  row's XML as one string (text escaped) and appends it: 3,000 rows in well under a second.

The fonts are the ones office PCs have, by name (Word substitutes when one is missing);
an office changes them with the DOCX_FONT_* settings when they exist in its config.
"""
import io
from xml.sax.saxutils import escape

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Row

# The fonts offices have (the PDF's free Debian fonts are not what Word users have installed).
DEFAULT_FONTS = {
    "body": "仿宋_GB2312",
    "title": "方正小标宋简体",
    "hei": "黑体",
    "kai": "楷体_GB2312",
}
LATIN_FONT = "Times New Roman"
RED = RGBColor(0xC8, 0x16, 0x1D)
SIZE_2 = Pt(22)  # 2号: title
SIZE_3 = Pt(16)  # 3号: body and headings
SIZE_4 = Pt(14)  # 4号: page numbers
SIZE_SMALL_4 = Pt(12)  # 小4: tables
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm text block
# What follows w:pBdr in w:pPr and w:tblHeader in w:trPr (ECMA-376 order; Word refuses other orders).
_AFTER_BORDERS = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
                  "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
                  "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
                  "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")
_AFTER_TABLE_HEADER = ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange")
CONTROL_CHARACTERS = {code: None for code in range(32) if code not in (9, 10)}  # XML 1.0 refuses them


def fonts(config=None):
    """The font name of each role (body, title, hei, kai): DOCX_FONT_<ROLE> from config when set, else the default."""
    config = config or {}
    return {role: (config.get(f"DOCX_FONT_{role.upper()}") or name).strip() for role, name in DEFAULT_FONTS.items()}


def clean(text):
    """Text safe inside a .docx: no control characters (XML 1.0 cannot hold them), tabs and newlines kept."""
    return str(text if text is not None else "").translate(CONTROL_CHARACTERS)


def one_line(text):
    """Text for a single-line place (a title, a table cell's name): line breaks become spaces."""
    return " ".join(clean(text).split())


def new_document(font=DEFAULT_FONTS["body"]):
    """An empty A4 document with GB/T 9704 margins (天头 37 mm, 订口 28 mm) and a 3号 default font."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(20)
    section.start_type = WD_SECTION.NEW_PAGE
    style = document.styles["Normal"]
    style.font.size = SIZE_3
    set_fonts(style, font)
    paragraph_format = style.paragraph_format
    paragraph_format.space_before = paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = LINE_PITCH
    return document


def set_fonts(run_or_style, east_asian, latin=LATIN_FONT):
    """Name the font of a run or style for Chinese (w:eastAsia) and Latin text (w:ascii, w:hAnsi)."""
    run_or_style.font.name = latin
    properties = run_or_style.element.get_or_add_rPr()
    fonts_element = properties.find(qn("w:rFonts"))
    if fonts_element is None:
        fonts_element = OxmlElement("w:rFonts")
        properties.insert(0, fonts_element)
    fonts_element.set(qn("w:eastAsia"), east_asian)
    fonts_element.set(qn("w:ascii"), latin)
    fonts_element.set(qn("w:hAnsi"), latin)


def add_run(paragraph, text, font, size=None, bold=False, colour=None):
    """Append a run of (cleaned) text with its East-Asian font, size, weight and colour."""
    run = paragraph.add_run(clean(text))
    set_fonts(run, font)
    if size is not None:
        run.font.size = size
    if bold:
        run.font.bold = True
    if colour is not None:
        run.font.color.rgb = colour
    return run


def add_paragraph(container, text="", font=DEFAULT_FONTS["body"], size=None, align=None, bold=False, colour=None,
                  indent=False, line_spacing=None):
    """A paragraph of one run; `indent` starts it two characters in, as body text is set."""
    paragraph = container.add_paragraph()
    if text:
        add_run(paragraph, text, font, size, bold, colour)
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = (size or SIZE_3) * 2
    if line_spacing is not None:
        paragraph.paragraph_format.line_spacing = line_spacing
    return paragraph


def add_rule(paragraph, colour="C8161D", size_eighths=16, position="bottom"):
    """Draw a rule (a paragraph border) under or over the paragraph, e.g. the red rule under a masthead."""
    properties = paragraph._p.get_or_add_pPr()
    borders = properties.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        # Word refuses properties out of the schema's order: the border goes before w:jc and the rest.
        properties.insert_element_before(borders, *_AFTER_BORDERS)
    line = OxmlElement(f"w:{position}")
    line.set(qn("w:val"), "single")
    line.set(qn("w:sz"), str(size_eighths))
    line.set(qn("w:space"), "1")
    line.set(qn("w:color"), colour)
    borders.append(line)


def add_field(paragraph, instruction, font, size=None, placeholder="1"):
    """Append a complex field (e.g. "PAGE") whose value Word computes; `placeholder` shows until it updates."""
    def field_char(kind):
        run = add_run(paragraph, "", font, size)
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        run._r.append(element)

    field_char("begin")
    run = add_run(paragraph, "", font, size)
    code = OxmlElement("w:instrText")
    code.set(qn("xml:space"), "preserve")
    code.text = f" {instruction} "
    run._r.append(code)
    field_char("separate")
    add_run(paragraph, placeholder, font, size)
    field_char("end")


def add_page_number(document, font=DEFAULT_FONTS["body"]):
    """The footer's page number "— N —" (4号) as a PAGE field: odd pages right, even pages left (GB/T 9704)."""
    settings = document.settings.element
    if settings.find(qn("w:evenAndOddHeaders")) is None:
        settings.append(OxmlElement("w:evenAndOddHeaders"))
    for section in document.sections:
        for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
                              (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            paragraph.alignment = align
            if align == WD_ALIGN_PARAGRAPH.RIGHT:
                paragraph.paragraph_format.right_indent = SIZE_4
            else:
                paragraph.paragraph_format.left_indent = SIZE_4
            add_run(paragraph, "— ", font, SIZE_4)
            add_field(paragraph, "PAGE", font, SIZE_4)
            add_run(paragraph, " —", font, SIZE_4)


def has_page_field(footer):
    """True when the footer holds a PAGE field (for tests and readers)."""
    return any("PAGE" in (code.text or "") for code in footer._element.iter(qn("w:instrText")))


def new_table(container, widths_mm, header=None, font=DEFAULT_FONTS["body"], size=SIZE_SMALL_4, bold_header=True):
    """A bordered table of fixed column widths; `header` (a list of texts) becomes a row repeated on every page."""
    table = container.add_table(rows=0, cols=len(widths_mm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    table._tracker_widths = [Mm(width) for width in widths_mm]
    if header is not None:
        row = add_row(table, header, font, size, bold=bold_header, align=WD_ALIGN_PARAGRAPH.CENTER)
        repeat_header(row)
    return table


def add_row(table, texts, font=DEFAULT_FONTS["body"], size=SIZE_SMALL_4, bold=False, align=None):
    """Append one row, built as XML in one piece (python-docx's row and cell objects cost ~2 ms a row).

    A text with line breaks becomes several paragraphs in its cell; the row never splits
    across pages (w:cantSplit). Returns the row.
    """
    widths = getattr(table, "_tracker_widths", None) or [None] * len(texts)
    run_properties = _run_properties_xml(font, size, bold)
    paragraph_properties = ('<w:pPr><w:spacing w:before="0" w:after="0" w:line="276" w:lineRule="auto"/>'
                            '<w:ind w:firstLine="0"/>'
                            + (f'<w:jc w:val="{_ALIGN_XML[align]}"/>' if align is not None else "") + "</w:pPr>")
    cells = []
    for text, width in zip(texts, widths, strict=True):
        width_xml = f'<w:tcPr><w:tcW w:w="{int(width.twips)}" w:type="dxa"/></w:tcPr>' if width else "<w:tcPr/>"
        paragraphs = "".join(
            f"<w:p>{paragraph_properties}"
            + (f'<w:r>{run_properties}<w:t xml:space="preserve">{escape(line)}</w:t></w:r>' if line else "")
            + "</w:p>"
            for line in (clean(text).split("\n") or [""]))
        cells.append(f"<w:tc>{width_xml}{paragraphs}</w:tc>")
    element = parse_xml(f'<w:tr {nsdecls("w")}><w:trPr><w:cantSplit w:val="true"/></w:trPr>{"".join(cells)}</w:tr>')
    table._tbl.append(element)
    return _Row(element, table)


_ALIGN_XML = {WD_ALIGN_PARAGRAPH.LEFT: "left", WD_ALIGN_PARAGRAPH.CENTER: "center",
              WD_ALIGN_PARAGRAPH.RIGHT: "right", WD_ALIGN_PARAGRAPH.JUSTIFY: "both"}


def _run_properties_xml(font, size, bold):
    """The w:rPr of a table run: East-Asian and Latin fonts, weight, size (half-points)."""
    names = f'w:ascii="{escape(LATIN_FONT)}" w:hAnsi="{escape(LATIN_FONT)}" w:eastAsia="{escape(font)}"'
    half_points = int(round(size.pt * 2)) if size is not None else None
    return (f"<w:rPr><w:rFonts {names}/>" + ("<w:b/>" if bold else "")
            + (f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>' if half_points else "") + "</w:rPr>")


def _row_properties(row):
    """The row's w:trPr element, made when missing."""
    return row._tr.get_or_add_trPr()


def repeat_header(row):
    """Mark a table row as a header row that Word and WPS repeat at the top of every page."""
    element = OxmlElement("w:tblHeader")
    element.set(qn("w:val"), "true")
    _row_properties(row).insert_element_before(element, *_AFTER_TABLE_HEADER)  # after w:cantSplit


def is_repeated_header(row):
    """True when the row is marked to repeat on every page (for tests and readers)."""
    properties = row._tr.trPr
    return properties is not None and properties.find(qn("w:tblHeader")) is not None


def east_asian_fonts(document):
    """Every East-Asian font name the document's runs and styles name (for tests: what Word will look for)."""
    names = set()
    for element in document.element.body.iter(qn("w:rFonts")):
        if element.get(qn("w:eastAsia")):
            names.add(element.get(qn("w:eastAsia")))
    return names


def to_bytes(document):
    """The document as .docx bytes (written in memory: a failure leaves no half-written file)."""
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
