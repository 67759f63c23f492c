"""Reading a spreadsheet file (.xlsx or .csv) as offices really send it, and finding the table in it.

Shared by the assessment-results import and the task import: the file is read
into grids (merged cells filled, CSV in UTF-8 or GBK), the header row is found
among the first rows by the names of its columns, and the rows under it are
kept, minus note and total rows. Whole-file problems raise ParseError with a
code; nothing here knows what the columns mean or touches the database.
"""
import csv
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


def _read_xlsx(data):
    """Load every worksheet of a workbook as grids, merged ranges filled from their top-left cell."""
    if data[:4] == b"\xd0\xcf\x11\xe0":  # OLE2: an .xls renamed, or an encrypted workbook
        raise ParseError(_("This is an old .xls workbook or a password-protected one; "
                           "save it as an unprotected .xlsx."), "old_xls")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise _not_xlsx() from None
    if expanded > MAX_UNCOMPRESSED_BYTES:
        raise ParseError(_("The workbook expands to more than %(limit)s; it cannot be a results table.",
                           limit=_human_size(MAX_UNCOMPRESSED_BYTES)), "too_large")
    try:
        book = _load_workbook(data, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, InvalidFileException, XML errors) on junk
        raise _not_xlsx() from None
    formula_book = []

    def formulas_in(sheet_index):
        """Return a function that lists which of some coordinates hold formulas in that sheet."""
        def check(coordinates):
            """The coordinates, among those given, of cells holding a formula (sorted)."""
            if not formula_book:
                formula_book.append(_load_workbook(data, data_only=False))
            sheet = formula_book[0].worksheets[sheet_index]
            return sorted((r, c) for r, c in coordinates if sheet.cell(row=r, column=c).data_type == "f")
        return check

    sheets = [_Sheet(ws.title, _grid(ws), formulas_in(i)) for i, ws in enumerate(book.worksheets)]
    active = book.worksheets.index(book.active) if book.active in book.worksheets else 0
    return [sheets[active]] + sheets[:active] + sheets[active + 1:]


def _not_xlsx():
    """The error for bytes that are not a workbook."""
    return ParseError(_("The file is not a readable Excel workbook (.xlsx)."), "not_xlsx")


def _load_workbook(data, data_only):
    """openpyxl's load, its warnings about unsupported Excel features silenced (they do not matter here)."""
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


def _grid(ws):
    """The sheet's values as a list of rows (lists), merged cells copied into every covered cell."""
    # Bounded: a sheet formatted down to row 1048576 must not become a million empty rows.
    max_row = min(ws.max_row, HEADER_SCAN_ROWS + MAX_ROWS + 1)
    max_col = min(ws.max_column, MAX_COLUMNS)
    rows = [list(row) for row in ws.iter_rows(max_row=max_row, max_col=max_col, values_only=True)]
    for merged in ws.merged_cells.ranges:
        top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
        for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            for c in range(merged.min_col, min(merged.max_col, MAX_COLUMNS) + 1):
                if c <= len(rows[r - 1]):
                    rows[r - 1][c - 1] = top
    return rows


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
    if sum(1 for _number, cells in body if has_value(cells)) > max_rows:
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
