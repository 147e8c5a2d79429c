"""Vietnamese phone numbers as people write them, and as the portal stores and compares them.

Shared by the forms (which refuse a malformed number) and the public lookup (which compares what
it gets, so a malformed number fails like a wrong one).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def phone_digits(value):
    """A phone number as written at home: "+84 912 345 678" and "84912345678" → "0912345678".

    It never refuses: the lookup compares what it gets, so a malformed number fails like a
    wrong one; `normalise_phone` checks the result.
    """
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def normalise_phone(value):
    """A Vietnamese mobile number as 10 digits starting with 0 ("+84 912 345 678" → "0912345678").

    Mobile numbers start with 03, 05, 07, 08 or 09 since the 2018 renumbering.
    """
    digits = phone_digits(value)
    if not re.fullmatch(r"0[35789][0-9]{8}", digits):
        raise ValidationError(
            _("Enter a Vietnamese mobile number of 10 digits, for example 0912345678."),
            code="phone",
        )
    return digits
