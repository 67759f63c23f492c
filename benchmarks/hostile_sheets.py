"""Hostile spreadsheets against the sheet reader: time and peak memory to refuse or read them.

    .venv/bin/python benchmarks/hostile_sheets.py

Each case runs in a fresh process (peak RSS is per process), through the same
read_sheets() the results and task imports use. Targets (issue 13): a hostile
workbook refused or read in at most 3 s and 200 MB.
"""
import io
import json
import os
import subprocess
import sys
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def styled_range_workbook(rows=20_000, columns=50):
    """A small .xlsx whose one sheet holds `rows` x `columns` empty but styled cells, declared A1:XFD1048576."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = "指标名称"
    sheet["A1"].font = Font(bold=True)
    template = io.BytesIO()
    book.save(template)
    body = ['<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main"><dimension ref="A1:XFD1048576"/><sheetData>']
    letters = [openpyxl.utils.get_column_letter(c) for c in range(1, columns + 1)]
    for r in range(1, rows + 1):
        body.append(f'<row r="{r}">' + "".join(f'<c r="{col}{r}" s="1"/>' for col in letters) + "</row>")
    body.append("</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            data = "".join(body).encode() if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            target.writestr(info.filename, data)
    return out.getvalue()


def long_workbook(rows=100_000):
    """A results-like .xlsx of `rows` data rows (about 5 MB)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["序号", "指标类别", "指标名称", "分值", "得分", "全市排名", "参评县区数", "牵头单位"])
    for n in range(rows):
        sheet.append([n + 1, "经济发展", f"指标{n}", 4, 3.2, 5, 12, "县发展和改革局"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def measure(path):
    """In this process: read the file, print seconds, peak RSS MB and the outcome as JSON."""
    import resource

    from tracker import create_app
    from tracker.services.documents.sheets import ParseError, read_sheets

    with open(path, "rb") as handle:
        data = handle.read()
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        start = time.perf_counter()
        try:
            sheets = read_sheets(data, "hostile.xlsx", max_bytes=20 * 1024 * 1024)
            outcome = f"read: {len(sheets[0].rows)} rows kept" + (" (more rows beyond the cap)"
                                                                  if sheets[0].overflow else "")
        except ParseError as error:
            outcome = f"refused: {error.code}"
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": round(seconds, 2), "peak_mb": round(peak), "outcome": outcome}))


def main():
    """Build the cases, measure each in its own process, print a table."""
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        measure(sys.argv[2])
        return
    cases = [("styled range, 1,000,000 empty cells", styled_range_workbook()), ("100,000 rows", long_workbook())]
    print(f"{'case':40} {'file':>8} {'seconds':>8} {'peak MB':>8}  outcome")
    for name, data in cases:
        path = os.path.join("/tmp", f"hostile-{abs(hash(name))}.xlsx")
        with open(path, "wb") as handle:
            handle.write(data)
        output = subprocess.run([sys.executable, __file__, "--measure", path], capture_output=True, text=True,
                                check=True, cwd=ROOT).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(f"{name:40} {len(data) // 1024:>6}KB {result['seconds']:>8} {result['peak_mb']:>8}  {result['outcome']}")
        os.remove(path)


if __name__ == "__main__":
    main()
