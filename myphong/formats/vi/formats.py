"""Vietnamese date and number formats: dd/mm/yyyy, HH:MM, 8.000 (Django's own "vi" lacks input
formats, so "02/01/2026" would be read month first)."""

DATE_FORMAT = "d/m/Y"
TIME_FORMAT = "H:i"
# One order everywhere, in both languages: "14:00, 27/11/2026" (printing.wording.local_text).
DATETIME_FORMAT = "H:i, d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i, d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
FIRST_DAY_OF_WEEK = 1
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
