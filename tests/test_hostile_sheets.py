"""Hostile workbooks: the sheet reader checks sizes before reading, streams within its caps, reads a file once.

Times and memory are measured by benchmarks/hostile_sheets.py; these check the structure.
"""
import io
import zipfile

import openpyxl
import pytest

from tests.indicator_helpers import GOOD, HEADER, make_period, xlsx_bytes
from tracker.services.documents import sheets
from tracker.services.documents.sheets import ParseError, read_sheets
from tracker.services.indicators import results_import, results_parser


def workbook(rows, merges=(), far_cell=None):
    """An .xlsx with these rows, merged ranges and perhaps one styled cell far away (a huge declared range)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for merged in merges:
        sheet.merge_cells(merged)
    if far_cell:
        sheet[far_cell].number_format = "0.00"  # styled, empty: the sheet now declares up to there
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_parts_that_expand_too_far_are_refused_before_reading(monkeypatch):
    """Is a workbook whose sheet would expand past the part cap refused without being parsed at all?"""
    monkeypatch.setattr(sheets, "MAX_PART_BYTES", 1024 * 1024)
    padded = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook([HEADER, GOOD]))) as source, \
            zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData>", b"<sheetData>" + b" " * (2 * 1024 * 1024))
            target.writestr(info.filename, data)
    monkeypatch.setattr(sheets, "_read_workbook", lambda data: pytest.fail("the workbook was parsed"))
    with pytest.raises(ParseError) as refused:
        read_sheets(padded.getvalue(), "bomb.xlsx")
    assert refused.value.code == "too_large"


def test_a_huge_declared_range_is_read_only_up_to_the_cap(monkeypatch):
    """Does a sheet declaring a million rows give at most the capped rows, stopping after the blank look-ahead?"""
    monkeypatch.setattr(sheets, "MAX_GRID_ROWS", 40)
    monkeypatch.setattr(sheets, "OVERFLOW_LOOKAHEAD", 5)
    data = workbook([HEADER, GOOD], far_cell="A1048576")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b'ref="A1:P1048576"' in archive.read("xl/worksheets/sheet1.xml")
    [sheet] = read_sheets(data, "styled.xlsx")
    assert len(sheet.rows) <= 40 and not sheet.overflow
    assert sheet.rows[1][2] == "民间投资增速"


def test_a_table_longer_than_the_cap_is_refused_without_reading_it_all(monkeypatch, ctx):
    """Is a sheet with more data rows than the cap marked at the cap and refused as too many rows?"""
    monkeypatch.setattr(sheets, "MAX_GRID_ROWS", 30)
    rows = [GOOD[:2] + [f"指标{n}"] + GOOD[3:] for n in range(100)]
    [sheet] = read_sheets(xlsx_bytes(rows), "long.xlsx")
    assert len(sheet.rows) == 30 and sheet.overflow
    with pytest.raises(ParseError) as refused:
        results_parser.parse_results(xlsx_bytes(rows), "long.xlsx")
    assert refused.value.code == "too_many_rows"


def test_a_merged_range_past_column_60_does_not_crash_the_reader():
    """Are merges beyond the columns read ignored, while a merged title and a merged cell are filled?"""
    rows = [["云溪县考核结果"], HEADER, GOOD, GOOD[:2] + ["社会消费品零售总额增速"] + GOOD[3:]]
    data = workbook(rows, merges=("A1:P1", "BZ3:CB4", "L3:L4"))
    [sheet] = read_sheets(data, "merged.xlsx")
    assert sheet.rows[0][:3] == ["云溪县考核结果"] * 3
    assert sheet.rows[3][11] == "县发展和改革局"  # L4 takes L3's value
    assert all(len(row) <= sheets.MAX_COLUMNS for row in sheet.rows)


def test_an_import_reads_the_workbook_once(monkeypatch, ctx):
    """Does the preview of a results import parse the workbook once (not once per check, as before)?"""
    from openpyxl.reader import excel

    opened = []
    original = excel.ExcelReader.__init__

    def counting(self, *args, **kwargs):
        """openpyxl's reader, counted."""
        opened.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(excel.ExcelReader, "__init__", counting)

    results_import.plan_import(make_period(), xlsx_bytes([GOOD, GOOD[:2] + ["外贸"] + GOOD[3:12] + [None] * 4]),
                               "results.xlsx")
    assert opened == [1]
