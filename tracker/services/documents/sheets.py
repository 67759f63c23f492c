"""Reading a spreadsheet file (.xlsx or .csv) as offices really send it, and finding the table in it.

Shared by the assessment-results import and the task import: the file is read
into grids (merged cells filled, CSV in UTF-8 or GBK), the header row is found
among the first rows by the names of its columns, and the rows under it are
kept, minus note and total rows. Whole-file problems raise ParseError with a
code; nothing here knows what the columns mean or touches the database.
"""
import csv
import functools
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass

from flask_babel import gettext as _

from .. import DomainError
from .cells import clean_text, has_value, is_present

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
HEADER_SCAN_ROWS = 20
MAX_COLUMNS = 60
MAX_ROWS = 5000
# An .xlsx is a zip: refuse one that would expand past this (a zip bomb), whatever its size on disk.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_PART_BYTES = 64 * 1024 * 1024  # one part (a sheet's XML, the shared strings) expanded
MAX_GRID_ROWS = HEADER_SCAN_ROWS + MAX_ROWS + 1  # rows read of a sheet; a table longer than that is refused
OVERFLOW_LOOKAHEAD = 1000  # blank rows read past the cap looking for more data before stopping
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="\$?([A-Z]+\$?\d+):\$?([A-Z]+\$?\d+)"')

# field -> the header names offices use for it; the first is the one named in messages.
# A header row names the indicator and at least this many known columns in all.
MIN_HEADER_MATCHES = 3

NOTE_PREFIXES = ("注", "备注", "说明")
TOTAL_WORDS = ("合计", "总计", "小计")


class ParseError(DomainError):
    """The whole file cannot be read as a results table; `code` says why."""

    def __init__(self, message, code):
        """Keep the message for the user and the code for programs."""
        super().__init__(message)
        self.code = code


@dataclass
class RowError:
    """A problem in one cell (or row): the row number, the column header as written, and what is wrong."""

    row: int
    column: str | None
    message: str
    code: str



def read_sheets(data, filename, max_bytes=DEFAULT_MAX_BYTES):
    """The grids of a spreadsheet file (.xlsx or .csv), the active sheet first; ParseError on a bad file."""
    if len(data) > max_bytes:
        raise ParseError(_("The file is %(size)s, more than the limit of %(limit)s.",
                           size=_human_size(len(data)), limit=_human_size(max_bytes)), "too_large")
    if not data:
        raise ParseError(_("The file is empty."), "empty_file")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        sheets = _read_xlsx(data)
    elif extension == "csv":
        sheets = [_read_csv(data)]
    elif extension == "xls":
        raise ParseError(_("This is an old .xls workbook; open it in Excel and save it as .xlsx."), "old_xls")
    else:
        raise ParseError(_("Only .xlsx and .csv files can be read, not “%(name)s”.", name=filename),
                         "unsupported_type")
    if not any(has_value(row) for sheet in sheets for row in sheet.rows):
        raise ParseError(_("The spreadsheet has no data."), "empty_sheet")
    return sheets


def _human_size(n):
    """A byte count as people read it (10 MB, 512 KB, 80 B)."""
    unit = next((u for u, size in (("MB", 1 << 20), ("KB", 1 << 10)) if n >= size), None)
    return f"{n / (1 << (20 if unit == 'MB' else 10)):.3g} {unit}" if unit else f"{n} B"


@dataclass
class _Sheet:
    """A grid of raw cell values; `formula_cells` finds cells that hold uncalculated formulas."""

    name: str | None
    rows: list
    formula_cells: object = None  # callable(set of (row, col)) -> sorted list of formula coordinates
    overflow: bool = False  # rows beyond the caps hold data: the table is too long to be read


def _read_xlsx(data):
    """Every worksheet of a workbook as grids, merged ranges filled from their top-left cell.

    Read in one streaming pass within caps checked before reading: the parts' uncompressed sizes,
    and at most HEADER_SCAN_ROWS + MAX_ROWS rows of MAX_COLUMNS columns whatever the sheet declares.
    openpyxl's whole-workbook load (a 123 KB file declaring a huge styled range cost 25 s and
    899 MB) and its read-only mode (which scans a sheet without a <dimension> to its end first)
    are both avoided: its reader parts read the workbook, and its row parser streams each sheet.
    """
    if data[:4] == b"\xd0\xcf\x11\xe0":  # OLE2: an .xls renamed, or an encrypted workbook
        raise ParseError(_("This is an old .xls workbook or a password-protected one; "
                           "save it as an unprotected .xlsx."), "old_xls")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_part_sizes(archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise _not_xlsx() from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl's notes on unsupported Excel features do not matter here
            return _read_workbook(data)
    except ParseError:
        raise
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors) on junk
        raise _not_xlsx() from None


def _read_workbook(data):
    """The worksheets of a workbook that passed the size checks, the active one first."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)  # the number formats that make a cell a date
        sheets = [_read_worksheet(reader, name, rel.target) for name, rel in
                  ((sheet.name, rel) for sheet, rel in reader.parser.find_sheets())
                  if rel.target in reader.valid_files and "chartsheet" not in rel.Type]
        active = reader.wb._active_sheet_index if 0 <= reader.wb._active_sheet_index < len(sheets) else 0
    finally:
        reader.archive.close()
    if not sheets:
        raise _not_xlsx()
    return [sheets[active]] + sheets[:active] + sheets[active + 1:]


def _check_part_sizes(infos):
    """Refuse a workbook whose parts expand past the caps (a zip bomb), whatever its size on disk."""
    expanded = sum(info.file_size for info in infos)
    largest = max((info.file_size for info in infos), default=0)
    if expanded > MAX_UNCOMPRESSED_BYTES or largest > MAX_PART_BYTES:
        raise ParseError(_("The workbook expands to more than %(limit)s; it cannot be a results table.",
                           limit=_human_size(min(MAX_UNCOMPRESSED_BYTES, MAX_PART_BYTES))), "too_large")


def _not_xlsx():
    """The error for bytes that are not a workbook."""
    return ParseError(_("The file is not a readable Excel workbook (.xlsx)."), "not_xlsx")


def _read_worksheet(reader, name, path):
    """One worksheet as a _Sheet: its rows within the caps, merged ranges filled, formulas without values known."""
    # The merges follow the cells, at the part's end, past where reading stops: a pattern finds them.
    merges = [(*_coordinate(first.decode()), *_coordinate(last.decode()))
              for first, last in MERGE_REF.findall(reader.archive.read(path))]
    rows, overflow, blanks_after = [], False, 0
    with reader.archive.open(path) as source:
        parser = _row_parser_class()(source, reader.shared_strings, data_only=True, epoch=reader.wb.epoch,
                                     date_formats=reader.wb._date_formats,
                                     timedelta_formats=reader.wb._timedelta_formats)
        for number, cells in parser.parse():
            values = [None] * MAX_COLUMNS
            for cell in cells:
                if cell["column"] <= MAX_COLUMNS:
                    values[cell["column"] - 1] = cell["value"]
            while len(rows) < min(number - 1, MAX_GRID_ROWS):
                rows.append([None] * MAX_COLUMNS)  # rows the file leaves out are empty
            if len(rows) < MAX_GRID_ROWS:
                rows.append(values)
            elif has_value(values):
                overflow = True  # more rows than any table may have: stop reading here
                break
            else:
                blanks_after += 1
                if blanks_after >= OVERFLOW_LOOKAHEAD:
                    break  # a sheet formatted down to row 1048576: the rest is empty
    width = max([i + 1 for row in rows for i, value in enumerate(row) if value is not None]
                + [min(max_col, MAX_COLUMNS) for _r, min_col, _mr, max_col in merges if min_col <= MAX_COLUMNS],
                default=0)
    rows = [row[:width] for row in rows]
    _fill_merges(rows, merges)
    formulas = parser.uncalculated
    return _Sheet(name, rows, lambda coordinates: sorted(c for c in coordinates if c in formulas), overflow)


@functools.cache
def _row_parser_class():
    """openpyxl's streaming row parser, noting the formulas Excel never calculated (no cached value)."""
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class RowParser(WorkSheetParser):
        """WorkSheetParser that also records (row, column) of formulas without a cached value."""

        def __init__(self, *args, **kwargs):
            """The parser, with an empty set of uncalculated formulas."""
            super().__init__(*args, **kwargs)
            self.uncalculated = set()

        def parse_cell(self, element):
            """The cell as openpyxl reads it; its coordinates kept when it is a formula without a value."""
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                self.uncalculated.add((cell["row"], cell["column"]))
            return cell

    return RowParser


def _coordinate(reference):
    """(row, column) of an A1 reference."""
    from openpyxl.utils.cell import coordinate_to_tuple

    return coordinate_to_tuple(reference.replace("$", ""))


def _fill_merges(rows, merges):
    """Copy each merged range's top-left value into every covered cell that lies within the grid."""
    for min_row, min_col, max_row, max_col in merges:
        if min_row > len(rows) or min_col > MAX_COLUMNS:
            continue  # wholly outside what was read (a merge past column 60 once crashed the reader)
        top_row = rows[min_row - 1]
        top = top_row[min_col - 1] if min_col <= len(top_row) else None
        for r in range(min_row, min(max_row, len(rows)) + 1):
            for c in range(min_col, min(max_col, MAX_COLUMNS) + 1):
                if c <= len(rows[r - 1]):
                    rows[r - 1][c - 1] = top


def _read_csv(data):
    """Decode a CSV (UTF-8, UTF-8 with BOM, then GBK/GB18030) into a grid of strings or None."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ParseError(_("The CSV file is neither UTF-8 nor GBK text."), "encoding")
    sample = text[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise ParseError(_("The CSV file could not be read: %(reason)s", reason=str(error)), "bad_csv") from None
    rows = [[cell if cell.strip() else None for cell in record[:MAX_COLUMNS]] for record in records]
    return _Sheet(None, rows)


def find_table(sheets, aliases, key_field, expected_names):
    """(sheet, header row index) of the first sheet whose header names `key_field`; ParseError when none does."""
    for sheet in sheets:
        header_index = _find_header(sheet.rows, aliases, key_field)
        if header_index is not None:
            return sheet, header_index
    raise ParseError(_("No header row found in the first %(n)d rows; expected columns such as %(names)s.",
                       n=HEADER_SCAN_ROWS, names="、".join(expected_names)), "no_header")


def _header_key(value):
    """A header cell reduced to what identifies it: no spaces, brackets, asterisks or colons."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"\(.*?\)|\[.*?\]", "", text)
    return text.strip("*:")


def _find_header(rows, aliases, key_field):
    """Index of the first row among the first rows that names the key field and enough known columns."""
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        found = {aliases.get(_header_key(cell)) for cell in row} - {None}
        if key_field in found and len(found) >= MIN_HEADER_MATCHES:
            return index
    return None


def map_columns(header, aliases, columns_spec):
    """field -> (column index, header text as written); ParseError when two columns mean the same field."""
    columns = {}
    for index, cell in enumerate(header):
        name = aliases.get(_header_key(cell))
        if name is None:
            continue
        text = clean_text(cell)
        if name in columns:
            raise ParseError(_("Columns “%(first)s” and “%(second)s” both mean %(meaning)s.",
                               first=columns[name][1], second=text, meaning=columns_spec[name][0]),
                             "duplicate_column")
        columns[name] = (index, text)
    return columns


def table_body(sheet, header_index, aliases, columns_spec, required, max_rows=MAX_ROWS):
    """(columns, rows under the header as (row number, cells in column order)); ParseError on a bad table."""
    columns = map_columns(sheet.rows[header_index], aliases, columns_spec)
    missing = [columns_spec[name][0] for name in required if name not in columns]
    if missing:
        raise ParseError(_("The header row (row %(row)d) lacks required columns: %(names)s.",
                           row=header_index + 1, names="、".join(missing)), "missing_columns")
    body = _table_rows(enumerate(sheet.rows[header_index + 1:], start=header_index + 2))
    body = [(number, [row[i] if i < len(row) else None for i, _text in columns.values()]) for number, row in body]
    if sheet.overflow or sum(1 for _number, cells in body if has_value(cells)) > max_rows:
        raise ParseError(_("The table has more than %(n)d rows.", n=max_rows), "too_many_rows")
    _reject_uncalculated_formulas(sheet, body, columns)
    return columns, body


def is_header_again(value, aliases, key_field):
    """True when a key cell repeats the header (a table pasted from a printout)."""
    return aliases.get(_header_key(value)) == key_field


def _table_rows(body):
    """Drop note rows (注：…, and the note lines after one) and total rows; keep blank rows for the formula check."""
    kept, in_note = [], False
    for number, cells in body:
        filled = [cell for cell in cells if is_present(cell)]
        if not filled:
            kept.append((number, cells))  # blank, unless a formula hides behind it
            continue
        first = clean_text(filled[0])
        if first.startswith(NOTE_PREFIXES):
            in_note = True
            continue
        if in_note and len(set(map(str, filled))) == 1:
            continue  # a further line of the note, merged across the row or in one cell
        in_note = False
        if first in TOTAL_WORDS:
            continue
        kept.append((number, cells))
    return kept


def _reject_uncalculated_formulas(sheet, body, columns):
    """Raise when blank cells of the table are formulas Excel never calculated (saved by a script)."""
    if sheet.formula_cells is None:
        return
    indexes = [i for i, _text in columns.values()]
    blanks = {(number, indexes[k] + 1) for number, cells in body for k, cell in enumerate(cells) if cell is None}
    if not blanks:
        return
    found = sheet.formula_cells(blanks)
    if found:
        from openpyxl.utils import get_column_letter

        row, col = found[0]
        raise ParseError(_("The file holds formulas without cached values (e.g. cell %(cell)s); "
                           "save the file in Excel first.", cell=f"{get_column_letter(col)}{row}"), "formulas")
