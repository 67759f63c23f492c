"""The bulletin PDF read back with poppler (pdftotext, pdffonts, pdfinfo): what a reader of the paper would check."""
import subprocess
from datetime import date

import pytest

from tests.bulletin_helpers import (
    MONTH,
    TITLES,
    UNITS,
    at,
    flat,
    pdf_fonts,
    pdf_pages,
    pdf_text,
    requires_poppler,
    squeeze,
)
from tests.conftest import make_task
from tracker import create_app
from tracker.extensions import db
from tracker.models import Bulletin, RectificationTask, Unit, User
from tracker.services.bulletins import lifecycle
from tracker.services.documents import pdf

pytestmark = requires_poppler


def generate(app, month=MONTH, text=None, actor="supervisor"):
    """Generate the month's draft as the supervisor; returns (bulletin id, path of its PDF)."""
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == actor))
        bulletin = lifecycle.generate_draft(user, month, text)
        return bulletin.id, lifecycle.path_of(bulletin)


def test_draft_has_masthead_headings_units_and_overdue_tasks(app, bulletin_county):
    """Does the draft read back with the masthead, 第__期, the five headings, every unit and every overdue task?"""
    _id, path = generate(app)
    text = flat(path)
    for heading in ("督查通报", "第__期", "关于2026年11月全县整改任务推进情况的通报", "一、总体情况", "二、单位排名",
                    "三、逾期任务点名", "四、弱项指标整改进展", "五、下步要求", "草稿"):
        assert heading in text
    for name in UNITS.values():
        assert name in text
    for key in ("A1", "A3", "B2", "C2"):
        assert TITLES[key] in text
    for key in ("B1", "D1", "D2", "A4"):  # created after the cut-off, cancelled, draft, finished last year
        assert TITLES[key] not in text
    assert "云溪县委办公室县政府办公室督查室" in text and "2026年12月5日" in text


def test_totals_in_the_pdf_are_the_known_ones(app, bulletin_county):
    """Does the summary print 9 tasks, 2 closed (22.2%), 4 overdue, on-time 14.3%, and the change against October?"""
    _id, path = generate(app)
    text = squeeze(pdf_text(path, layout=False))
    assert "截至2026年11月30日，全县共有整改任务9项，已销号2项，销号率22.2%" in text
    assert "正在整改5项，待签收1项，待审核销号1项；逾期未完成4项。按期完成率14.3%。本月督查室共催办3次" in text
    assert "任务总数持平，本月新销号2项，逾期任务增加4项，销号率提高22.2个百分点" in text
    # Each unit's line: rank, name (▲: asked to explain), tasks, closed, close-out rate, on-time rate, overdue, urges.
    ranking = flat(path)
    for line in ("1县交通运输局100.0%—00", "2城关镇▲3133.3%0.0%11", "3县商务局▲200.0%0.0%10",
                 "4县水利局▲3133.3%33.3%22"):
        assert line in ranking


def test_overdue_rows_name_unit_owner_deadline_and_days_late(app, bulletin_county):
    """Is each overdue task printed with its lead unit, owner (未签收 when none), deadline in force and days late?"""
    _id, path = generate(app)
    text = flat(path)
    rows = ("1" + TITLES["A1"] + "县水利局张三2026年11月10日20",
            "2" + TITLES["A3"] + "县水利局张三2026年11月15日15",
            "3" + TITLES["B2"] + "县商务局李四2026年11月25日5",  # the deadline at the cut-off, not December's
            "4" + TITLES["C2"] + "城关镇未签收2026年11月28日2")
    assert "序号任务牵头单位责任人完成时限逾期天数" + "".join(rows) + "四、" in text  # most days late first


def test_weak_indicator_shows_rank_then_and_now_and_its_tasks(app, bulletin_county):
    """Does section 4 print the weak indicator, 上期第9名 → 本期第12名 (down 3), and its task?"""
    _id, path = generate(app)
    text = flat(path)
    section = text[text.index("四、弱项指标整改进展"):text.index("五、下步要求")]
    assert "2026年上半年考核" in section and "农村自来水普及率" in section
    assert "上期第9名本期第12名" in section and "下降3位" in section and "倒数第一" in section
    assert f"整改任务1项，已销号0项1.县水利局：{TITLES['A1']}（整改中，逾期20天）" in section
    assert "地区生产总值增速" not in section


def test_fonts_are_embedded_cjk_and_pages_a4(app, bulletin_county):
    """Is every font embedded, the configured CJK families among them, none a Type 3 bitmap, on A4 pages?"""
    _id, path = generate(app)
    fonts = pdf_fonts(path)
    assert fonts and all(embedded == "yes" for _name, _type, embedded in fonts)
    names = " ".join(name for name, _type, _emb in fonts)
    for key in ("BULLETIN_FONT_BODY", "BULLETIN_FONT_HEI", "BULLETIN_FONT_KAI"):
        assert app.config[key].replace(" ", "-") in names
    assert not any("Type 3" in kind for _name, kind, _emb in fonts)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "595.276 x 841.89 pts (A4)" in info
    assert pdf_pages(path) == 3
    assert "—1—" in squeeze(pdf_text(path, 1, 1)) and "—2—" in squeeze(pdf_text(path, 2, 2))


def test_long_overdue_table_repeats_its_header_on_the_next_page(app, bulletin_county):
    """With 45 more overdue tasks, does the overdue table go on over pages with its header row on each?"""
    with app.app_context():
        unit = db.session.get(Unit, bulletin_county["units"]["B"])
        for number in range(45):
            make_task(f"长表测试任务第{number + 1:02d}号", unit, deadline_on=date(2026, 11, 1 + number % 28),
                      code=f"ZG2026-9{number:03d}", created_at=at(date(2026, 10, 1)),
                      dispatched_at=at(date(2026, 10, 1)))
        db.session.commit()
    _id, path = generate(app)
    pages = pdf_pages(path)
    spread = [page for page in range(1, pages + 1) if "长表测试任务" in pdf_text(path, page, page)]
    assert len(spread) >= 2
    for page in spread:
        header = squeeze(pdf_text(path, page, page))
        assert "序号任务牵头单位责任人完成时限逾期天数" in header
    assert "长表测试任务第45号" in flat(path)


def test_hostile_title_is_printed_as_text_and_nothing_is_fetched(app, bulletin_county):
    """Is a title with HTML and <img src=file:///etc/passwd> printed literally, with no image and no file read?"""
    hostile = 'HTML/<img src=file:///etc/passwd><b>粗体</b>"&'
    with app.app_context():
        db.session.get(RectificationTask, bulletin_county["tasks"]["A1"]).title = hostile
        db.session.commit()
    _id, path = generate(app, text='<script>alert(1)</script>\n<img src="http://127.0.0.1:9/x.png">请整改')
    text = flat(path)
    assert squeeze(hostile) in text
    assert "<script>alert(1)</script>" in text and '<imgsrc="http://127.0.0.1:9/x.png">请整改' in text
    assert "root:" not in text
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) == 2  # the header lines only: no image at all


def test_fetcher_refuses_files_and_network(app, tmp_path):
    """Does create_pdf refuse an <img> pointing at a local file or the network, instead of embedding it?"""
    html = ('<html lang="zh-CN"><body style="font-family: \'WenQuanYi Zen Hei\'">测试'
            '<img src="file:///usr/share/pixmaps/debian-logo.png"><img src="http://127.0.0.1:9/x.png">'
            '<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"></body></html>')
    with app.app_context():
        content = pdf.create_pdf(html)
    path = tmp_path / "fetch.pdf"
    path.write_bytes(content)
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    kinds = [line.split()[2] for line in images.splitlines()[2:]]
    assert kinds.count("image") == 1  # the inline data: image only (with its transparency mask)


def test_a_2000_character_title_is_cut_to_fit_its_row(app, bulletin_county):
    """Is the longest title a task can hold printed cut with an ellipsis, so its row fits on a page?

    A 2,000-character title is refused where tasks are entered (form and import allow 300,
    the column's size, which PostgreSQL enforces); the bulletin must still fit the longest one.
    """
    long_title = ("超长标题" * 500)[:RectificationTask.title.type.length]
    usual_pages = pdf_pages(generate(app)[1])
    with app.app_context():
        db.session.get(RectificationTask, bulletin_county["tasks"]["A1"]).title = long_title
        db.session.commit()
    _id, path = generate(app)
    text = flat(path)
    assert long_title[:79] + "…" in text and long_title[:81] not in text
    assert pdf_pages(path) <= usual_pages + 1  # one row grows by a line at most: the 版记 may move to a page of its own


def test_a_month_without_tasks_is_a_valid_bulletin_that_says_so(app, bulletin_county):
    """Does March 2026, before any task, give a PDF that says there were no tasks?"""
    _id, path = generate(app, month="2026-03")
    text = flat(path)
    assert "全县暂无在办或本年度已办结的整改任务" in text
    assert "本月无牵头单位承担整改任务，不作排名" in text and "无逾期未完成的整改任务" in text
    assert pdf_pages(path) <= 2


def test_a_missing_font_stops_the_start_with_a_clear_error(migrated):
    """Does create_app refuse to start when a configured font is not installed, naming the setting?"""
    with pytest.raises(pdf.FontError) as error:
        create_app({"SQLALCHEMY_DATABASE_URI": migrated, "BULLETIN_FONT_KAI": "方正楷体_GBK 未安装"})
    assert "BULLETIN_FONT_KAI" in str(error.value) and "方正楷体_GBK 未安装" in str(error.value)


def test_a_font_removed_after_start_gives_an_error_not_a_pdf(app, bulletin_county, bulletin_dir):
    """If the font setting no longer matches an installed font, is generation refused with no file and no row?"""
    app.config["BULLETIN_FONT_BODY"] = "No Such Font SC"
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "supervisor"))
        with pytest.raises(pdf.FontError):
            lifecycle.generate_draft(user, MONTH)
        assert db.session.scalar(db.select(db.func.count()).select_from(Bulletin)) == 0
    assert not list(bulletin_dir.glob("*.pdf"))


def test_check_fonts_command(app, runner):
    """Does `flask bulletin check-fonts` list the fonts ok, and fail naming a missing one?"""
    result = runner.invoke(args=["bulletin", "check-fonts"])
    assert result.exit_code == 0 and "MISSING" not in result.output
    assert app.config["BULLETIN_FONT_BODY"] in result.output
    app.config["BULLETIN_FONT_HEI"] = "No Such Hei"
    result = runner.invoke(args=["bulletin", "check-fonts"])
    assert result.exit_code == 1 and "MISSING" in result.output and "BULLETIN_FONT_HEI" in result.output
