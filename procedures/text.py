"""Text folding for search: case and Vietnamese diacritics do not matter.

"ĐĂNG KÝ KHAI SINH", "dang ky khai sinh" and "Đăng ký khai sinh" all fold to the same string.
Procedures store their folded name, so a search is a plain `icontains` that works the same on
PostgreSQL and SQLite.
"""

import unicodedata

# "đ" is a letter of its own in Unicode, not "d" with a combining mark: NFD leaves it alone.
_EXTRA = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text):
    """Lower-case `text`, drop its diacritics and collapse white space."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_EXTRA))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
