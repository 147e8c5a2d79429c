"""Forms of the public side after submission: lookup, rating, feedback, withdrawal, answers.

The lookup forms never show per-field errors: every failure is the same single message
(dossiers.lookup), so they only label and describe their fields.
"""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from procedures.models import Agency

from ..models import Feedback, Rating
from .fields import PhoneField


class ErrorSummaryMixin:
    def error_summary(self):
        """(field id or None, label, message) of every error, for the list above the form."""
        for name, errors in self.errors.items():
            if name in self.fields and not self.fields[name].widget.is_hidden:
                bound = self[name]
                # A group of radio buttons has no id of its own: point at the first button.
                target = bound.id_for_label or f"{bound.auto_id}_0"
                for error in errors:
                    yield target, bound.label, error
            else:
                for error in errors:
                    yield None, "", error


class LookupForm(forms.Form):
    """The code and a second factor; read raw by the view, never validated field by field."""

    code_help = _(
        "Printed on the receipt (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), "
        "for example 000.17.22.H56-260213-0001."
    )

    code = forms.CharField(label=_("Dossier code"), required=False)
    factor = forms.CharField(
        label=_("Phone number or lookup key"),
        required=False,
        help_text=_(
            "The phone number written in the dossier, or the 6-character lookup key printed "
            "on the receipt."
        ),
    )

    def __init__(self, *args, failed=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = self.code_help
        for name, bound_field in self.fields.items():
            described_by = [f"goi-y-{name}"] + (["loi-tra-cuu"] if failed else [])
            bound_field.widget.attrs.update(
                {
                    "class": "form-control form-control-lg",
                    "autocomplete": "off",
                    "autocapitalize": "characters" if name == "code" else "off",
                    "spellcheck": "false",
                    "aria-describedby": " ".join(described_by),
                    "maxlength": "60",
                }
            )


class FeedbackLookupForm(LookupForm):
    code_help = _("Given when you sent it, for example PAKN-260213-0001.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("Feedback code")
        self.fields["factor"].help_text = _(
            "The phone number you gave, or the 6-character lookup key shown when you sent it."
        )


class RatingForm(ErrorSummaryMixin, forms.Form):
    """The nine indicators of Circular 01/2018 art. 13 as plain questions, and a comment."""

    comment = forms.CharField(
        label=_("Anything else you want to tell the office (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        indicators = {}
        for name, question, labels in Rating.INDICATORS:
            indicators[name] = forms.TypedChoiceField(
                label=question,
                choices=list(enumerate(labels)),
                coerce=int,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                error_messages={"required": _("Choose one answer.")},
            )
        # The questions first, then the comment.
        self.fields = {**indicators, "comment": self.fields["comment"]}

    def indicator_fields(self):
        return [self[name] for name in Rating.FIELDS]

    def scores(self):
        return {name: self.cleaned_data[name] for name in Rating.FIELDS}


def _default_agency():
    """The portal's own agency (by its name in settings), else the first commune."""
    agencies = Agency.objects.order_by("level", "name")
    return agencies.filter(name=settings.PORTAL_AGENCY_NAME).first() or agencies.first()


class FeedbackForm(ErrorSummaryMixin, forms.Form):
    """A complaint or proposal; name and phone are optional, `website` is a trap for robots."""

    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=Feedback.Category.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages={"required": _("Choose what your feedback is about.")},
    )
    agency = forms.ModelChoiceField(
        label=_("Agency concerned"),
        queryset=Agency.objects.order_by("level", "name"),
        empty_label=None,
    )
    content = forms.CharField(
        label=_("Your feedback"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Say what happened, when and where, and, if you can, which officer or which "
            "procedure. At most 5,000 characters."
        ),
        error_messages={"required": _("Write your feedback.")},
    )
    dossier_code = forms.CharField(
        label=_("Dossier code, if it is about a dossier (optional)"),
        required=False,
        max_length=40,
    )
    sender_name = forms.CharField(
        label=_("Your name (optional)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    sender_phone = PhoneField(
        label=_("Your phone number (optional)"),
        required=False,
        help_text=_(
            "To follow the answer with your phone number. Without it, you get a lookup key."
        ),
    )
    sender_email = forms.EmailField(
        label=_("Your email (optional)"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We tell you there when the answer is ready (or by text message)."),
    )
    # Hidden from people (display: none); robots that fill every field fill it too.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].initial = _default_agency()
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_robot(self):
        return bool(self.data.get("website"))


class FeedbackAnswerForm(ErrorSummaryMixin, forms.Form):
    answer = forms.CharField(
        label=_("Answer to the sender"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The sender reads it with the feedback code. Do not write personal data."),
        error_messages={"required": _("Write the answer.")},
    )


class WithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you withdraw it? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
