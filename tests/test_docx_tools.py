"""The .docx helpers every Word document is built with: fonts, header rows, page fields, safe text."""
import io
import time

import docx
from docx.oxml.ns import qn

from tracker.services.documents import docx_tools


def _reopen(document):
    """Write the document to bytes and open it again with python-docx, as Word would receive it."""
    return docx.Document(io.BytesIO(docx_tools.to_bytes(document)))


def test_page_is_a4_with_gbt9704_margins_and_east_asian_default_font():
    """Is the page A4 with 天头 37 mm and 订口 28 mm, and does the default style name the body font for Chinese?"""
    back = _reopen(docx_tools.new_document("仿宋_GB2312"))
    section = back.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert (round(section.top_margin.mm), round(section.left_margin.mm)) == (37, 28)
    fonts = back.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


def test_table_header_repeats_rows_keep_together_and_markup_stays_text():
    """Does only the header row repeat, does no row split, and is a title with markup and a line break plain text?"""
    document = docx_tools.new_document()
    table = docx_tools.new_table(document, [20, 100, 36], ["序号", "单位", "完成率"])
    docx_tools.add_row(table, ["1", '县<b>水利局</b> & "x"\n第二行\x07', "50%"])
    back = _reopen(document).tables[0]
    assert [docx_tools.is_repeated_header(row) for row in back.rows] == [True, False]
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in back.rows)
    cell = back.rows[1].cells[1]
    assert [p.text for p in cell.paragraphs] == ['县<b>水利局</b> & "x"', "第二行"]
    assert {"仿宋_GB2312"} <= docx_tools.east_asian_fonts(_reopen(document))


def test_footer_has_page_fields_odd_right_even_left():
    """Are the page numbers Word's own PAGE fields in both the odd and the even footer, with dashes?"""
    document = docx_tools.new_document()
    docx_tools.add_page_number(document)
    back = _reopen(document)
    section = back.sections[0]
    assert docx_tools.has_page_field(section.footer) and docx_tools.has_page_field(section.even_page_footer)
    assert section.footer.paragraphs[0].text == "— 1 —"
    assert back.settings.odd_and_even_pages_header_footer


def test_three_thousand_rows_are_built_in_well_under_a_second():
    """Does a city-size table (3,000 rows) take linear time, not python-docx's per-cell cost?"""
    document = docx_tools.new_document()
    table = docx_tools.new_table(document, [20, 100, 36], ["序号", "单位", "完成率"])
    started = time.perf_counter()
    for number in range(3000):
        docx_tools.add_row(table, [str(number), "县水利局", "50%"])
    assert time.perf_counter() - started < 1.5
    assert len(_reopen(document).tables[0].rows) == 3001
