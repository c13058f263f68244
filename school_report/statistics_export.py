"""The statistics tables as files: CSV (UTF-8 with a BOM, so Excel reads Japanese) and .xlsx.

Labels come from the caller (`label(kind, key)`), which knows the reader's language. Text
(labels, school and topic names, headings) is never read as a formula: a cell starting with
= + - @ (or a tab or carriage return, or what a spreadsheet reads as one of them, such as a
full-width ＝) gets a leading apostrophe in CSV, as OWASP advises, and is written as a string
cell in .xlsx.
"""

import csv
import io
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from school_report.statistics import Cell, Label, Table

LabelFn = Callable[[str, str], str]
MAX_SHEET_TITLE = 31  # Excel's limit
_SHEET_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def starts_like_a_formula(text: str) -> bool:
    """Whether a spreadsheet might read the text as a formula: its first character, or what
    that character stands for (NFKC: a full-width ＝ or ＋, a small ﹦), is one of
    FORMULA_STARTS. Spreadsheets in Japanese locales convert full-width input."""
    return unicodedata.normalize("NFKC", text[:1]).startswith(FORMULA_STARTS)


def as_text(cell: Cell) -> Cell:
    """A CSV cell that a spreadsheet will not run: text starting like a formula is quoted."""
    if isinstance(cell, str) and starts_like_a_formula(cell):
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
            ["" if cell is None else as_text(cell) for cell in row]
            for row in _rows(_in_percent(table), label)
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _in_percent(table: Table) -> Table:
    """A CSV cell has no format: a fraction (0.258) is written as the percentage (25.8)."""
    kinds = [kind for kind, _ in table.columns]
    cells = tuple(
        tuple(
            round(cell * 100, 1) if kind in FRACTION_KINDS and isinstance(cell, float) else cell
            for kind, cell in zip(kinds, row, strict=True)
        )
        for row in table.cells
    )
    return replace(table, cells=cells)


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


# Columns holding fractions (0.258) and, from the tables by day received, percentages (25.8):
# the workbook stores both as fractions formatted 0.0 %.
FRACTION_KINDS = ("share", "change")
PERCENT_COLUMNS = {("measure", key) for key in ("share", "reports_share", "contacts_share")}
COUNT_FORMAT, PERCENT_FORMAT, HOURS_FORMAT = "#,##0", "0.0%", "#,##0.00"
# The native chart of a table: the column charted, and whether by line (over time).
CHARTS = {
    "annual_by_method": ("contacts", False),
    "annual_by_consulter": ("contacts", False),
    "annual_by_level": ("cases", False),
    "annual_top_children": ("contacts", False),
    "annual_top_adults": ("contacts", False),
    "annual_coordination": ("contacts", False),
    "by_channel": ("reports", False),
    "by_level": ("total", False),
    "by_month": ("reports", True),
}


def _number_format(column: Label, cell: Cell) -> str | None:
    if not isinstance(cell, int | float) or isinstance(cell, bool):
        return None
    if column[0] in FRACTION_KINDS or column in PERCENT_COLUMNS:
        return PERCENT_FORMAT
    return COUNT_FORMAT if isinstance(cell, int) else HOURS_FORMAT


def _stored(column: Label, cell: Cell) -> Cell:
    """What the workbook stores: a percentage as its fraction, a missing value as blank."""
    if column in PERCENT_COLUMNS and isinstance(cell, int | float):
        return round(cell / 100, 4)
    return cell


def _set_up_page(sheet, header_row: int, wide: bool) -> None:
    """A4, as wide as the page, the heading rows on every printed page, frozen on screen."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if wide else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_row}"
    sheet.freeze_panes = f"B{header_row + 1}"


def _chart(sheet, table: Table, header_row: int, anchor_row: int, title: str) -> None:
    from openpyxl.chart import BarChart, LineChart, Reference

    column_key, by_line = CHARTS[table.name]
    keys = [key for _, key in table.columns]
    if column_key not in keys:
        return
    rows = len(table.rows) - (1 if table.total_row else 0)
    if rows < 1:
        return
    column = keys.index(column_key) + 2
    chart = LineChart() if by_line else BarChart()
    if not by_line:
        chart.type = "bar"  # horizontal bars, labels readable
    chart.title = title
    chart.legend = None
    chart.height, chart.width = 7.5, 16
    data = Reference(sheet, min_col=column, min_row=header_row, max_row=header_row + rows)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(
        Reference(sheet, min_col=1, min_row=header_row + 1, max_row=header_row + rows)
    )
    sheet.add_chart(chart, f"A{anchor_row}")


def _table_sheet(sheet, table: Table, label: LabelFn, heading: list[str], styles) -> None:
    for line in heading:
        _append(sheet, [line])
    title = _title(table, label)
    _append(sheet, [title])
    sheet.cell(row=sheet.max_row, column=1).font = styles["bold"]
    header_row = sheet.max_row + 1
    for row in _rows(table, label):
        _append(sheet, row)
    for cell in sheet[header_row]:
        cell.font, cell.fill, cell.border = styles["bold"], styles["fill"], styles["border"]
        cell.alignment = styles["wrap"]
    for offset, values in enumerate(table.cells, start=1):
        line = sheet[header_row + offset]
        line[0].border = styles["border"]
        if table.rows[offset - 1][0] == "total":
            line[0].font = styles["bold"]
        for column, cell, value in zip(table.columns, line[1:], values, strict=True):
            cell.value = _stored(column, value)
            cell.border = styles["border"]
            cell.alignment = styles["right"]
            number_format = _number_format(column, cell.value)
            if number_format:
                cell.number_format = number_format
    sheet.column_dimensions["A"].width = 30
    for index in range(2, len(table.columns) + 2):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 13
    _set_up_page(sheet, header_row, wide=len(table.columns) > 6)
    if table.name in CHARTS:
        _chart(sheet, table, header_row, sheet.max_row + 2, title)


def _styles() -> dict:
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="808080")
    return {
        "bold": Font(bold=True),
        "fill": PatternFill("solid", fgColor="E8E8E8"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "right": Alignment(horizontal="right"),
        "wrap_left": Alignment(wrap_text=True, vertical="top"),
    }


def to_xlsx(
    tables: list[Table],
    label: LabelFn,
    heading: list[str],
    definitions: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A cover sheet with the heading lines (what the file counts and what it leaves out), one
    sheet per table, then the notes (注記): each term's definition and what "x" means.

    Counts stay numbers formatted #,##0, shares and changes fractions formatted 0.0 %; every
    table has borders, its heading row frozen and printed on every page, fits A4 across, and
    its main column drawn as a native chart. A publication with no table shown (too few
    reports) is the cover and the notes, which say so: a workbook always has a sheet."""
    # Imported here: openpyxl weighs 7 MB in every server process, and few ask for a workbook.
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    styles = _styles()
    cover = workbook.create_sheet(_sheet_title(label("table", "cover"), used))
    for line in heading:
        _append(cover, [line])
    if heading:
        cover.cell(row=1, column=1).font = styles["bold"]
    cover.column_dimensions["A"].width = 100
    _set_up_page(cover, 1, wide=False)
    for table in tables:
        sheet = workbook.create_sheet(_sheet_title(_title(table, label), used))
        _table_sheet(sheet, table, label, heading, styles)
    if definitions:
        notes = workbook.create_sheet(_sheet_title(label("table", "notes"), used))
        _append(notes, [label("table", "notes")])
        notes.cell(row=1, column=1).font = styles["bold"]
        for term, meaning in definitions:
            _append(notes, [term, meaning])
            notes.cell(row=notes.max_row, column=1).font = styles["bold"]
            notes.cell(row=notes.max_row, column=2).alignment = styles["wrap_left"]
        notes.column_dimensions["A"].width = 22
        notes.column_dimensions["B"].width = 90
        _set_up_page(notes, 1, wide=False)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
