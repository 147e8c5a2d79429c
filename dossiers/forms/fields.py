"""Form fields shared by every side of the portal: the Vietnamese mobile number."""

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
