"""Does the results parser read the assessment sheet as offices really send it, and say what is wrong?"""
import csv
import io
import os
import random

import openpyxl
import pytest

from tracker.services import DomainError
from tracker.services.indicators.results_parser import ParseError, parse_results

SAMPLE = os.path.join(os.path.dirname(__file__), os.pardir, "tracker", "seeding", "demo_data", "assessment-2026H1.xlsx")

HEADER = ["序号", "指标类别", "指标名称", "分值", "得分", "全市排名", "参评县区数", "计量单位", "目标值",
          "完成值", "序时进度", "牵头单位", "配合单位", "分管县领导", "计算公式", "一票否决"]
FIELDS = ["no", "category", "name", "weight", "score", "rank", "peers", "unit", "target", "actual",
          "progress", "lead", "co", "leader", "formula", "veto"]
GOOD = [5, "经济发展", "民间投资增速", 4, 1.71, 12, 12, "%", 10.4, 9.3, "50%", "县发展和改革局",
        "县投资促进局", "常务副县长", "按增速全市位次赋分", None]
OTHER = [6, "经济发展", "服务业增加值增速", 3, 1.28, 12, 12, "%", 8.6, 5.6, "50%", "县发展和改革局",
         "县统计局", "常务副县长", "按增速全市位次赋分", None]


def row(base=GOOD, **changes):
    """A data row: `base` with some fields (by FIELDS name) replaced."""
    values = list(base)
    for name, value in changes.items():
        values[FIELDS.index(name)] = value
    return values


def xlsx_bytes(rows, header=HEADER, preamble=True, notes=True):
    """An .xlsx laid out like the offices' sheet: title, source note, header, rows, blank, note."""
    book = openpyxl.Workbook()
    sheet = book.active
    if preamble:
        sheet.append(["云溪县2026年上半年目标责任考核指标完成情况"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.append(["数据来源：市委目标责任考核办公室"])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    if notes:
        sheet.append([])
        sheet.append(["注：排名为全市12个县（市、区）中的位次。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    """A CSV of the header and rows in the given encoding."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for values in rows:
        writer.writerow(["" if v is None else v for v in values])
    return out.getvalue().encode(encoding)


def parse_row(**changes):
    """Parse a sheet holding one row changed as given; returns the result."""
    return parse_results(xlsx_bytes([row(**changes)]), "results.xlsx")


def only_row(**changes):
    """The single parsed row of a sheet with one changed row; fails when it has errors."""
    result = parse_row(**changes)
    assert result.errors == []
    assert len(result.rows) == 1
    return result.rows[0]


# --- the real sample -------------------------------------------------------------------------

def test_sample_parses_to_36_rows_without_errors(ctx):
    """Does the office's real half-year sheet give all 36 indicators and no error?"""
    with open(SAMPLE, "rb") as handle:
        result = parse_results(handle.read(), "assessment-2026H1.xlsx")
    assert result.errors == []
    assert len(result.rows) == 36
    assert result.header_row == 3
    assert result.rows[0].row_number == 4 and result.rows[-1].row_number == 39
    by_name = {r.name: r for r in result.rows}
    private = by_name["民间投资增速"]
    assert (private.rank, private.peer_count, private.weight, private.score) == (12, 12, 4, 1.71)
    assert private.co_unit_names == ["县投资促进局"]
    assert private.lead_unit_name == "县发展和改革局" and private.leader_title == "常务副县长"
    assert private.expected_progress == 0.5 and private.measure_unit == "%"
    assert (private.target_value, private.actual_value) == (10.4, 9.3)
    safety = by_name["安全生产"]
    assert safety.is_veto is True
    assert safety.co_unit_names == ["县公安局", "县住房和城乡建设局"]
    assert by_name["地区生产总值增速"].is_veto is False
    assert by_name["外贸进出口总额增速"].co_unit_names == []
    assert by_name["招商引资到位资金"].measure_unit == "亿元"
    assert by_name["省“三库”项目转化率"].category == "经济发展"
    assert sum(r.is_veto for r in result.rows) == 4


# --- cell forms as people type them ----------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    (4, 4.0), ("4", 4.0), ("４", 4.0), (" 4 ", 4.0), ("\u30004\u3000", 4.0), ("4分", 4.0), (4.0, 4.0),
])
def test_weight_forms(ctx, typed, expected):
    """Are full-width digits, stray (ideographic) spaces and a trailing 分 read as the number?"""
    assert only_row(weight=typed).weight == expected


@pytest.mark.parametrize("typed", ["１．７１", "1.71", " 1.71\u3000", 1.71])
def test_score_with_full_width_punctuation(ctx, typed):
    """Is a full-width decimal point read as a decimal point?"""
    assert only_row(score=typed).score == 1.71


@pytest.mark.parametrize("typed, expected", [
    (3, 3), ("3", 3), ("第3名", 3), ("第３名", 3), ("第 3 名", 3), ("3名", 3), ("第3位", 3), (3.0, 3), ("3.0", 3),
])
def test_rank_forms(ctx, typed, expected):
    """Is a rank read whether typed as 3, 第3名 or with full-width digits?"""
    assert only_row(rank=typed).rank == expected


@pytest.mark.parametrize("typed, expected", [
    ("85%", 0.85), ("８５％", 0.85), ("0.85", 0.85), (0.85, 0.85), (85, 0.85), ("85", 0.85), ("100%", 1.0),
    (1, 1.0), (None, None), ("", None),
])
def test_progress_forms(ctx, typed, expected):
    """Is 序时进度 a fraction whether typed 85%, 0.85 or 85 (values above 1 are percents)?"""
    assert only_row(progress=typed).expected_progress == expected


@pytest.mark.parametrize("typed", [
    "县统计局、县商务局", "县统计局，县商务局", "县统计局,县商务局", "县统计局;县商务局", "县统计局；县商务局",
    "县统计局 县商务局", "县统计局\u3000县商务局", " 县统计局 、 县商务局、", "县统计局、县商务局、县统计局",
])
def test_co_unit_separators(ctx, typed):
    """Are co-units split on 、，,;； and spaces, with blanks and repeats dropped?"""
    assert only_row(co=typed).co_unit_names == ["县统计局", "县商务局"]


@pytest.mark.parametrize("typed, expected", [
    ("是", True), ("√", True), (" 是 ", True), ("否", False), (None, False), ("", False), ("\u3000", False),
])
def test_veto_forms(ctx, typed, expected):
    """Is 一票否决 read from 是/√ and 否/blank?"""
    assert only_row(veto=typed).is_veto is expected


def test_stray_spaces_in_text_cells(ctx):
    """Are leading, trailing and ideographic spaces removed from names, units and leaders?"""
    parsed = only_row(name="\u3000民间 投资增速 ", lead=" 县发展和改革局\u3000", leader="常务 副县长",
                      category=" 经济发展")
    assert parsed.name == "民间投资增速"
    assert parsed.lead_unit_name == "县发展和改革局"
    assert parsed.leader_title == "常务副县长"
    assert parsed.category == "经济发展"


def test_blank_rows_and_note_rows_are_skipped(ctx):
    """Are blank rows inside the table and the trailing 注 lines skipped, with row numbers kept?"""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["云溪县考核结果"])
    sheet.append(HEADER)
    sheet.append(GOOD)
    sheet.append([])
    sheet.append([None, "\u3000", None, " "])
    sheet.append(OTHER)
    sheet.append([])
    sheet.append(["注：1.排名为全市12个县（市、区）中的位次；"])
    sheet.append(["2.序时进度按时间过半计。"])
    sheet.append([None, None, "备注：数据以市考核办通报为准"])
    out = io.BytesIO()
    book.save(out)
    result = parse_results(out.getvalue(), "results.xlsx")
    assert result.errors == []
    assert [(r.row_number, r.name) for r in result.rows] == [(3, "民间投资增速"), (6, "服务业增加值增速")]


def test_merged_category_cells_apply_to_every_row(ctx):
    """Does a 指标类别 cell merged down over several rows give each row its category?"""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD)
    sheet.append(row(OTHER, category=None))
    sheet.merge_cells("B2:B3")
    out = io.BytesIO()
    book.save(out)
    result = parse_results(out.getvalue(), "results.xlsx")
    assert [r.category for r in result.rows] == ["经济发展", "经济发展"]


def test_category_written_once_per_group(ctx):
    """Does a 类别 written only on a group's first row (as a CSV export leaves it) hold for the rows below?"""
    data = csv_bytes([GOOD, row(OTHER, category=None), row(OTHER, name="农业增加值增速", category="社会民生")])
    assert [r.category for r in parse_results(data, "results.csv").rows] == ["经济发展", "经济发展", "社会民生"]


def test_repeated_header_rows_are_skipped(ctx):
    """Is the header repeated inside the table (pasted from a printout) skipped, not reported?"""
    result = parse_results(xlsx_bytes([GOOD, HEADER, OTHER]), "results.xlsx")
    assert result.errors == [] and [r.row_number for r in result.rows] == [4, 6]


def test_header_aliases(ctx):
    """Are the other names offices give the columns understood?"""
    header = ["序号", "类别", "考核指标", "权重", "考核得分", "名次", "参评单位数", "单位", "目标", "实际值",
              "时序进度", "责任单位", "协办单位", "责任领导", "评分办法", "一票否决"]
    result = parse_results(xlsx_bytes([GOOD], header=header), "results.xlsx")
    assert result.errors == []
    parsed = result.rows[0]
    assert (parsed.name, parsed.weight, parsed.score, parsed.rank, parsed.peer_count) == (
        "民间投资增速", 4, 1.71, 12, 12)
    assert (parsed.target_value, parsed.actual_value, parsed.expected_progress) == (10.4, 9.3, 0.5)
    assert (parsed.lead_unit_name, parsed.co_unit_names, parsed.leader_title) == (
        "县发展和改革局", ["县投资促进局"], "常务副县长")
    assert parsed.measure_unit == "%" and parsed.formula == "按增速全市位次赋分" and parsed.category == "经济发展"


@pytest.mark.parametrize("header", [
    ["指标", "排名", "参评数", "分值", "得分", "牵头单位", "完成", "序时进度"],
    ["排名\n（位次）", "指 标 名 称", "参评县区数（个）", "分值*", "得分：", "承办单位"],
])
def test_other_aliases_and_decorated_headers(ctx, header):
    """Are short aliases, and headers with spaces, line breaks, brackets or asterisks, recognised?"""
    values = {"指标": "民间投资增速", "排名": 12, "参评数": 12, "分值": 4, "得分": 1.71, "牵头单位": "县发展和改革局",
              "完成": 9.3, "序时进度": "50%", "排名\n（位次）": 12, "指 标 名 称": "民间投资增速",
              "参评县区数（个）": 12, "分值*": 4, "得分：": 1.71, "承办单位": "县发展和改革局"}
    result = parse_results(xlsx_bytes([[values[h] for h in header]], header=header), "results.xlsx")
    assert result.errors == []
    assert (result.rows[0].name, result.rows[0].rank, result.rows[0].weight) == ("民间投资增速", 12, 4)


def test_columns_in_any_order(ctx):
    """Does a sheet with its columns shuffled parse to the same values?"""
    order = [15, 2, 11, 4, 0, 6, 12, 5, 9, 1, 14, 3, 8, 13, 7, 10]
    header = [HEADER[i] for i in order]
    rows = [[GOOD[i] for i in order], [row(OTHER, veto="是")[i] for i in order]]
    reordered = parse_results(xlsx_bytes(rows, header=header), "results.xlsx")
    plain = parse_results(xlsx_bytes([GOOD, row(OTHER, veto="是")]), "results.xlsx")
    assert reordered.errors == []
    assert reordered.rows == plain.rows


# --- row errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("field, column", [
    ("name", "指标名称"), ("weight", "分值"), ("score", "得分"), ("rank", "全市排名"), ("peers", "参评县区数"),
    ("lead", "牵头单位"),
])
def test_missing_required_cell(ctx, field, column):
    """Is a blank required cell reported with its row and column, and the row left out?"""
    result = parse_results(xlsx_bytes([OTHER, row(**{field: "\u3000"})]), "results.xlsx")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(5, column, "required")]
    assert [r.name for r in result.rows] == ["服务业增加值增速"]
    assert result.errors[0].message


@pytest.mark.parametrize("field, typed, column, code", [
    ("weight", "四分", "分值", "not_a_number"),
    ("score", "1.7.1", "得分", "not_a_number"),
    ("rank", "倒数第一", "全市排名", "not_a_number"),
    ("rank", "3.5", "全市排名", "not_whole"),
    ("rank", 0, "全市排名", "not_positive"),
    ("peers", "十二", "参评县区数", "not_a_number"),
    ("target", "约10", "目标值", "not_a_number"),
    ("actual", "9.3%%", "完成值", "not_a_number"),
    ("progress", "一半", "序时进度", "not_a_number"),
    ("progress", "150%", "序时进度", "out_of_range"),
    ("veto", "也许", "一票否决", "bad_flag"),
])
def test_unreadable_cell(ctx, field, typed, column, code):
    """Is a value that is not what the column needs reported with its row, column and the value?"""
    result = parse_row(**{field: typed})
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, column, code)]
    assert result.rows == []


def test_rank_larger_than_peer_count(ctx):
    """Is a rank beyond the number of peers reported on the rank column?"""
    result = parse_row(rank="第13名")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, "全市排名", "rank_above_peers")]
    assert "13" in result.errors[0].message and "12" in result.errors[0].message


def test_score_above_weight(ctx):
    """Is a score higher than the weight plus the row's bonus cap reported on the score column?"""
    header = HEADER + ["加分上限"]
    result = parse_results(xlsx_bytes([row(score=4.5) + [None]], header=header), "results.xlsx")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, "得分", "score_above_weight")]
    assert parse_results(xlsx_bytes([row(score=4.5) + [0.5]], header=header), "results.xlsx").errors == []
    # Without the column the cap is the indicator's, which only the database knows: results_plan checks it.
    assert parse_row(score=4.5).errors == []


def test_duplicate_indicator_name(ctx):
    """Is an indicator listed twice reported on its second row, naming the first?"""
    result = parse_results(xlsx_bytes([GOOD, OTHER, row(name=" 民间投资增速\u3000")]), "results.xlsx")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(6, "指标名称", "duplicate_name")]
    assert "4" in result.errors[0].message
    assert [r.row_number for r in result.rows] == [4, 5]


def test_every_error_of_a_row_is_reported(ctx):
    """Does one row with several problems yield one error per problem?"""
    result = parse_row(weight="x", rank=None, lead="")
    assert sorted(e.column for e in result.errors) == sorted(["分值", "全市排名", "牵头单位"])


# --- bad files -------------------------------------------------------------------------------

def parse_error(data, filename="results.xlsx", **kwargs):
    """The ParseError that parsing raises."""
    with pytest.raises(ParseError) as raised:
        parse_results(data, filename, **kwargs)
    assert str(raised.value)
    return raised.value


def test_parse_error_is_a_domain_error():
    """Can routes catch parse failures like every other domain error?"""
    assert issubclass(ParseError, DomainError)


def test_random_bytes_named_xlsx(ctx):
    """Is a file that is not a spreadsheet refused as such?"""
    noise = random.Random(7).randbytes(2000)
    assert parse_error(noise).code == "not_xlsx"
    assert parse_error(b"PK\x03\x04" + noise).code == "not_xlsx"


def test_zip_that_is_not_a_workbook(ctx):
    """Is a zip archive without a workbook in it refused?"""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert parse_error(out.getvalue()).code == "not_xlsx"


def test_old_xls_and_other_types(ctx):
    """Are .xls and unknown file types refused with a message that says what to do?"""
    assert parse_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "results.xls").code == "old_xls"
    assert parse_error(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "results.xlsx").code == "old_xls"
    assert parse_error(b"%PDF-1.4", "results.pdf").code == "unsupported_type"
    assert parse_error(b"x", "results").code == "unsupported_type"


def test_empty_file_and_empty_sheet(ctx):
    """Are a zero-byte file and a workbook with nothing in it refused?"""
    assert parse_error(b"").code == "empty_file"
    out = io.BytesIO()
    openpyxl.Workbook().save(out)
    assert parse_error(out.getvalue()).code == "empty_sheet"
    assert parse_error(b"\r\n,,\r\n", "results.csv").code == "empty_sheet"


def test_no_header_row(ctx):
    """Is a sheet without a recognisable header in its first rows refused?"""
    rows = [["说明"]] * 25 + [HEADER, GOOD]
    book = openpyxl.Workbook()
    for values in rows:
        book.active.append(values)
    out = io.BytesIO()
    book.save(out)
    assert parse_error(out.getvalue()).code == "no_header"
    assert parse_error("姓名,年龄\n张三,30\n".encode(), "results.csv").code == "no_header"


def test_header_on_a_later_sheet(ctx):
    """Is the table found when the first sheet is a cover page?"""
    book = openpyxl.Workbook()
    book.active.append(["封面"])
    data = book.create_sheet("结果")
    data.append(HEADER)
    data.append(GOOD)
    out = io.BytesIO()
    book.save(out)
    result = parse_results(out.getvalue(), "results.xlsx")
    assert result.sheet_name == "结果" and len(result.rows) == 1


def test_missing_required_column(ctx):
    """Is a header without a required column refused, naming the column?"""
    header = [h for h in HEADER if h != "牵头单位"]
    values = [v for h, v in zip(HEADER, GOOD, strict=False) if h != "牵头单位"]
    error = parse_error(xlsx_bytes([values], header=header))
    assert error.code == "missing_columns"
    assert "牵头单位" in str(error)


def test_same_column_twice(ctx):
    """Is a sheet naming one column twice (分值 and 权重) refused rather than guessed?"""
    error = parse_error(xlsx_bytes([GOOD + [4]], header=HEADER + ["权重"]))
    assert error.code == "duplicate_column"


def test_header_without_data_rows(ctx):
    """Is a sheet with a header but no data refused?"""
    assert parse_error(xlsx_bytes([])).code == "no_rows"


def test_formulas_without_cached_values(ctx):
    """Is a workbook saved by a script, with formulas never calculated, refused with advice?"""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(GOOD)
    sheet.append(row(OTHER, score="=D3*0.4"))
    out = io.BytesIO()
    book.save(out)
    error = parse_error(out.getvalue())
    assert error.code == "formulas"
    assert "E3" in str(error)
    assert "Excel" in str(error)


def test_file_over_the_size_limit_is_refused_before_parsing(ctx):
    """Is a file over the limit refused before any attempt to read it?"""
    data = xlsx_bytes([GOOD])
    assert parse_error(data, max_bytes=len(data) - 1).code == "too_large"
    assert parse_results(data, "results.xlsx", max_bytes=len(data)).rows
    assert parse_error(b"x" * (10 * 1024 * 1024 + 1), "junk.xlsx").code == "too_large"


# --- CSV -------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(ctx, encoding):
    """Are CSV files in UTF-8, UTF-8 with BOM, GBK and GB18030 all read?"""
    data = csv_bytes([GOOD, row(OTHER, co="县统计局、县商务局", veto="√")], encoding=encoding)
    result = parse_results(data, "results.CSV")
    assert result.errors == []
    assert [r.name for r in result.rows] == ["民间投资增速", "服务业增加值增速"]
    assert result.rows[1].co_unit_names == ["县统计局", "县商务局"] and result.rows[1].is_veto
    assert result.rows[0].expected_progress == 0.5 and result.rows[0].score == 1.71


def test_gbk_csv_with_title_rows_and_typed_cells(ctx):
    """Does a GBK CSV exported from an office sheet (title, notes, full-width cells) parse?"""
    text = "\r\n".join([
        "云溪县2026年上半年考核结果,,,,,,",
        "指标名称,分值,得分,名次,参评县区数,牵头单位,序时进度",
        "民间投资增速,４,１．７１,第１２名,１２,\u3000县发展和改革局,５０％",
        ",,,,,,",
        "注：排名为全市位次,,,,,,",
    ])
    result = parse_results(text.encode("gbk"), "results.csv")
    assert result.errors == []
    parsed = result.rows[0]
    assert (parsed.weight, parsed.score, parsed.rank, parsed.peer_count) == (4, 1.71, 12, 12)
    assert parsed.lead_unit_name == "县发展和改革局" and parsed.expected_progress == 0.5
    assert parsed.row_number == 3


def test_csv_row_errors_have_line_numbers(ctx):
    """Are CSV errors reported by line number and column header?"""
    result = parse_results(csv_bytes([GOOD, row(OTHER, score="")]), "results.csv")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(3, "得分", "required")]


def test_csv_that_is_not_text(ctx):
    """Is a binary file named .csv refused?"""
    error = parse_error(bytes(range(256)) * 4, "results.csv")
    assert error.code in {"encoding", "bad_csv", "no_header"}


def test_tab_separated_text(ctx):
    """Is a tab-separated export (Excel's 'Unicode text' saved as .csv) read too?"""
    data = "指标名称\t分值\t得分\t排名\t参评数\t牵头单位\n民间投资增速\t4\t1.71\t12\t12\t县发展和改革局\n"
    result = parse_results(data.encode("utf-8"), "results.csv")
    assert result.errors == [] and result.rows[0].rank == 12


# --- direction, kind and bonus cap (optional columns) -----------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("正向", "higher"), ("越高越好", "higher"), ("逆向", "lower"), ("逆向指标", "lower"), ("越低越好", "lower"),
    (" 反向 ", "lower"), ("lower", "lower"), (None, None),
])
def test_direction_forms(ctx, typed, expected):
    """Is 指标方向 read in the words sheets use (逆向 = lower is better), blank meaning "not said"?"""
    result = parse_results(xlsx_bytes([GOOD + [typed]], header=HEADER + ["指标方向"]), "r.xlsx")
    assert result.errors == [] and result.rows[0].direction == expected


@pytest.mark.parametrize("typed, expected", [("累计", "cumulative"), ("总量", "cumulative"), ("比率", "rate"),
                                             ("增速", "rate"), (None, None)])
def test_kind_forms(ctx, typed, expected):
    """Is 指标类型 read as cumulative (vs. 序时进度) or rate (vs. target)?"""
    result = parse_results(xlsx_bytes([GOOD + [typed]], header=HEADER + ["指标类型"]), "r.xlsx")
    assert result.errors == [] and result.rows[0].kind == expected


def test_unknown_direction_word_is_a_row_error(ctx):
    """Is a direction nobody can read reported on its row and column?"""
    result = parse_results(xlsx_bytes([GOOD + ["看情况"]], header=HEADER + ["方向"]), "r.xlsx")
    assert [(e.row, e.column, e.code) for e in result.errors] == [(4, "方向", "bad_word")]


def test_bonus_cap_and_columns_absent(ctx):
    """Is 加分上限 read as a number, and are direction/kind None when the sheet has no such columns?"""
    with_cap = parse_results(xlsx_bytes([GOOD + ["0.5分"]], header=HEADER + ["加分上限"]), "r.xlsx").rows[0]
    assert with_cap.bonus_cap == 0.5
    plain = only_row()
    assert (plain.direction, plain.kind, plain.bonus_cap) == (None, None, None)


@pytest.mark.parametrize("typed, expected", [("85%", 0.85), ("0.85", 0.85), ("85", 0.85), ("８５％", 0.85)])
def test_percent_written_three_ways(ctx, typed, expected):
    """Are 85%, 0.85 and 85 the same time-elapsed progress?"""
    assert only_row(progress=typed).expected_progress == expected
