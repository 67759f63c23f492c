"""The bulletin's documents read back: the PDF's 主送 and 版记, the .docx in python-docx and through LibreOffice."""
import re
import shutil
import subprocess

import pytest

from tests.bulletin_helpers import MONTH, UNITS, flat, pdf_fonts, pdf_pages, requires_poppler, squeeze
from tracker.extensions import db
from tracker.models import RectificationTask, Unit, User
from tracker.services.bulletins import lifecycle
from tracker.services.documents import charts

docx = pytest.importorskip("docx")
from tracker.services.documents import docx_tools  # noqa: E402 (needs python-docx)

pytestmark = requires_poppler
REQUIREMENTS = "一是压实责任。\n二是倒排工期。"
TOTALS = "共有整改任务9项，已销号2项，销号率22.2%"
OFFICE_FONTS = {"仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312"}


def user(name):
    """A user by user name."""
    return db.session.scalar(db.select(User).where(User.username == name))


def issue_november():
    """(PDF path, .docx path) of November's bulletin, issued."""
    issued = lifecycle.issue(user("supervisor"), lifecycle.generate_draft(user("supervisor"), MONTH, REQUIREMENTS))
    return lifecycle.path_of(issued), lifecycle.docx_path_of(issued)


def words_on_page(path, page):
    """(text, yMin, page height) of each word pdftotext finds on one page."""
    output = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                            capture_output=True, text=True, check=True).stdout
    height = float(re.search(r'<page width="[\d.]+" height="([\d.]+)"', output).group(1))
    return [(text, float(y), height) for y, text in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>([^<]*)<',
                                                                output)]


def ranking(text):
    """The unit names in the order the ranking table (表1) prints them."""
    table = text.split("表1", 1)[1].split("注：", 1)[0]
    return sorted(UNITS.values(), key=table.find)


def test_the_pdf_has_main_to_after_the_title_and_the_record_at_the_foot_of_the_last_page(app, bulletin_county):
    """Is 主送 right after the title, and are 抄送 and 印发 in the lower half of the last page, CJK fonts embedded?"""
    with app.app_context():
        path, _word = issue_november()
    text = flat(path)
    assert "推进情况的通报各乡镇党委和政府，县直各部门：现将截至" in text
    assert "抄送：县委办公室，县人大常委会办公室，县政府办公室，县政协办公室" in text and "\ufffd" not in text
    last = pdf_pages(path)
    words = words_on_page(path, last)
    for label in ("抄送：", "印发"):
        rows = [(y, height) for word, y, height in words if label in word]
        assert rows and all(y > height / 2 for y, height in rows), label
    assert all(embedded == "yes" for _name, _kind, embedded in pdf_fonts(path))


def test_the_docx_has_masthead_tables_page_field_and_office_fonts(app, bulletin_county):
    """Does python-docx read the masthead, the repeated table headers, the footer's PAGE field and the fonts?"""
    with app.app_context():
        _path, word = issue_november()
    document = docx.Document(word)
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    assert paragraphs[0] == "督查通报" and paragraphs[1] == "第1期" and "各乡镇党委和政府，县直各部门：" in paragraphs
    assert any(TOTALS in text for text in paragraphs)
    assert document.paragraphs[0].runs[0].font.color.rgb == docx_tools.RED
    data_tables = [table for table in document.tables if len(table.columns) > 1]
    assert len(data_tables) >= 3 and all(docx_tools.is_repeated_header(table.rows[0]) for table in data_tables)
    assert [row.cells[1].text.rstrip(" ▲") for row in data_tables[0].rows[1:]] == list(
        ranking("表1" + "".join(row.cells[1].text for row in data_tables[0].rows[1:]) + "注："))
    assert docx_tools.has_page_field(document.sections[0].footer)
    assert docx_tools.has_page_field(document.sections[0].even_page_footer)
    assert OFFICE_FONTS <= docx_tools.east_asian_fonts(document)
    record = document.tables[-1]
    assert record.rows[0].cells[0].text.startswith("抄送：县委办公室") and "印发" in record.rows[1].cells[0].text


@pytest.mark.skipif(shutil.which("soffice") is None, reason="libreoffice-writer-nogui is not installed")
def test_libreoffice_reads_the_docx_with_the_totals_and_ranking_of_the_pdf(app, bulletin_county, tmp_path):
    """Converted to PDF by LibreOffice headless, does the .docx give the PDF's totals and unit ranking?"""
    with app.app_context():
        path, word = issue_november()
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    "pdf", "--outdir", str(tmp_path), word], capture_output=True, check=True, timeout=120)
    converted = flat(next(tmp_path.glob("*.pdf")))
    original = flat(path)
    assert TOTALS in converted and TOTALS in original
    assert ranking(converted) == ranking(original)
    assert "抄送：" in converted and "\ufffd" not in converted


def test_markup_and_line_breaks_in_names_print_as_text(app, bulletin_county):
    """Do a unit name and a task title with markup and line breaks print as plain text in the PDF and the .docx?"""
    with app.app_context():
        db.session.get(Unit, bulletin_county["units"]["A"]).name = "县<b>水利</b>\n局"
        db.session.get(RectificationTask, bulletin_county["tasks"]["A1"]).title = "饮水<script>x</script>\r\n工程"
        db.session.commit()
        path, word = issue_november()
    text = flat(path)
    assert "县<b>水利</b>局" in text and "饮水<script>x</script>工程" in text
    body = squeeze(" ".join(cell.text for table in docx.Document(word).tables for row in table.rows
                            for cell in row.cells))
    assert "县<b>水利</b>局" in body and "饮水<script>x</script>工程" in body


def test_cli_writes_the_docx_of_a_draft_and_prints_the_stored_one_of_an_issue(app, bulletin_county, runner):
    """Does `--format docx` print a fresh .docx for a draft, and the stored file (exit 1) once issued?"""
    result = runner.invoke(args=["bulletin", "monthly", "--month", MONTH, "--format", "docx"])
    assert result.exit_code == 0, result.output
    draft_path = result.output.strip()
    assert draft_path.endswith(".docx") and "第__期" in [p.text for p in docx.Document(draft_path).paragraphs]
    with app.app_context():
        _path, word = issue_november()
    again = runner.invoke(args=["bulletin", "monthly", "--month", MONTH, "--format", "docx"])
    assert again.exit_code == 1 and word in again.output


def test_a_zero_bar_below_the_average_is_marked_red():
    """Does a unit at 0 % below the average get a visible red marker and a red figure?"""
    svg = str(charts.bar_chart_svg([("甲", 0.8), ("乙", 0.0)], average=0.4))
    assert re.search(r'class="zero-mark"[^>]*fill="#c8161d"', svg)
    assert re.search(r'fill="#c8161d">0\.0%', svg)
    assert 'class="bar below"' in svg and svg.count("zero-mark") == 1


def test_no_page_before_the_last_is_less_than_60_percent_full(app, bulletin_county):
    """Does the text reach at least 60 % down the text block (37 mm to 262 mm) of every page but the last?"""
    with app.app_context():
        path, _word = issue_november()
    points = 72 / 25.4
    top, bottom = 37 * points, (297 - 35) * points  # the page number sits below the text block
    for page in range(1, pdf_pages(path)):
        lowest = max(y for _word, y, _height in words_on_page(path, page) if y < bottom)
        assert (lowest - top) / (bottom - top) >= 0.6, page
