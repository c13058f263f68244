"""The statistics tables as files: CSV (UTF-8 with a BOM, so Excel reads Japanese) and .xlsx.

Labels come from the caller (`label(kind, key)`), which knows the reader's language. Text
(labels, school and topic names, headings) is never read as a formula: a cell starting with
= + - @ (or a tab or carriage return) gets a leading apostrophe in CSV, as OWASP advises, and is
written as a string cell in .xlsx.
"""

import csv
import io
from collections.abc import Callable, Iterator

from school_report.statistics import Cell, Table

LabelFn = Callable[[str, str], str]
MAX_SHEET_TITLE = 31  # Excel's limit
_SHEET_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: Cell) -> Cell:
    """A CSV cell that a spreadsheet will not run: text starting like a formula is quoted."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def _rows(table: Table, label: LabelFn) -> Iterator[list[Cell]]:
    """The table as rows of a sheet: its heading row, then one row per table row."""
    yield ["", *(label(*column) for column in table.columns)]
    for row_label, cells in zip(table.rows, table.cells, strict=True):
        yield [label(*row_label), *cells]


def _title(table: Table, label: LabelFn) -> str:
    return label("table", table.name)


def to_csv(tables: list[Table], label: LabelFn, heading: list[str]) -> bytes:
    """Every table one after another, each under its title, a blank line between them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in heading:
        writer.writerow([as_text(line)])
    for table in tables:
        writer.writerow([])
        writer.writerow([as_text(_title(table, label))])
        writer.writerows(
            ["" if cell is None else as_text(cell) for cell in row] for row in _rows(table, label)
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(title: str, used: set[str]) -> str:
    base = title.translate(_SHEET_FORBIDDEN)[:MAX_SHEET_TITLE]
    name, number = base, 2
    while name in used:
        suffix = f" ({number})"
        name, number = base[: MAX_SHEET_TITLE - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def _append(sheet, row: list[Cell]) -> None:
    """A row of the sheet; text stays text (a string cell), never a formula."""
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def to_xlsx(tables: list[Table], label: LabelFn, heading: list[str]) -> bytes:
    """A cover sheet with the heading lines (what the file counts and what it leaves out), then
    one sheet per table: the heading lines, the title, then the table; counts stay numbers and a
    hidden count is the text shown on the page ("x"). A publication with no table shown (too few
    reports) is the cover sheet alone, which says so: a workbook always has a sheet."""
    # Imported here: openpyxl weighs 7 MB in every server process, and few ask for a workbook.
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    bold = Font(bold=True)
    cover = workbook.create_sheet(_sheet_title(label("table", "cover"), used))
    for line in heading:
        _append(cover, [line])
    cover.column_dimensions["A"].width = 100
    for table in tables:
        title = _title(table, label)
        sheet = workbook.create_sheet(_sheet_title(title, used))
        for line in heading:
            _append(sheet, [line])
        _append(sheet, [title])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        for row in _rows(table, label):
            _append(sheet, row)
        sheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
