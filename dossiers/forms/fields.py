"""Form fields shared by every side of the portal: the Vietnamese mobile number, the personal
identification number."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..phones import normalise_phone


class PhoneField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile phone"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value):
        value = super().clean(value)
        return normalise_phone(value) if value else value


class PersonalIdField(forms.CharField):
    """Số định danh cá nhân: 12 digits (the old 9-digit card is no longer valid); spaces typed
    between the digit groups are dropped."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Personal identification number (12 digits)"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def clean(self, value):
        value = "".join((value or "").split())
        value = super().clean(value)
        if value and not (len(value) == 12 and value.isascii() and value.isdigit()):
            raise forms.ValidationError(
                _("The personal identification number has 12 digits."), code="invalid"
            )
        return value
