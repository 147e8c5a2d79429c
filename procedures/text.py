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


# Most procedure names begin with these words; a search for "khai sinh" or "dang ky khai sinh"
# means the name after them.
NAME_OPENING = "thu tuc "


def match_rank(query, code, name):
    """How well a procedure answers a search, lower first (the counter's picker says the same).

    0: the code, or the whole name; 1: the name (after "Thủ tục") starts with the words;
    2: the words stand together in the name; 3: the rest. Within a rank, shorter names first.
    """
    words = fold(query)
    folded = fold(name)
    bare = folded.removeprefix(NAME_OPENING)
    if words in (fold(code), folded, bare):
        return 0
    if bare.startswith(words):
        return 1
    if words in folded:
        return 2
    return 3
