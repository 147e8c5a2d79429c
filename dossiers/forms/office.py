"""Forms of the back office: the queue's filters and one small form per action on a dossier.

Every action form carries the version of the dossier the user saw (a hidden field), so a change
someone else saved meanwhile is refused by the service instead of silently overwritten. A form
only parses what the user typed; `perform()` hands it to the one service function of its action,
which decides (and refuses with `services.ActionRefused`).
"""

import re
from datetime import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from myphong import roles
from myphong.models import person_name
from procedures.models import Agency, Procedure, Sector

from .. import deadlines, services, uploads
from ..models import Dossier
from ..selectors import QUEUES, SORTS
from ..workflow import Event


def date_widget():
    return forms.DateInput(
        format="%d/%m/%Y",
        attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off"},
    )


def time_widget():
    return forms.TimeInput(
        format="%H:%M",
        attrs={"placeholder": "HH:MM", "inputmode": "numeric", "autocomplete": "off"},
    )


# --- The queue's filters ----------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """?hang=…&q=…&sector=…: every field optional; a wrong value is dropped, never a 500."""

    hang = forms.ChoiceField(choices=[(name, name) for name in QUEUES], required=False)
    q = forms.CharField(
        label=_("Code or applicant's name"),
        required=False,
        max_length=100,
        help_text=_("Diacritics are optional: “nguyen thi hoa” finds “Nguyễn Thị Hoa”."),
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=Sector.objects.all(), required=False, empty_label=_("All")
    )
    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.none(),
        required=False,
        empty_label=_("All"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *Dossier.Channel.choices], required=False
    )
    received_from = forms.DateField(label=_("Received from"), required=False, widget=date_widget())
    received_to = forms.DateField(label=_("Received until"), required=False, widget=date_widget())
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Default")),
            ("due", _("Due, nearest first")),
            ("-due", _("Due, latest first")),
            ("-received", _("Received, newest first")),
            ("received", _("Received, oldest first")),
            ("code", _("Code")),
        ],
    )

    def __init__(self, *args, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].queryset = procedures

    def clean_sort(self):
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in SORTS else ""


# --- Actions on a dossier ---------------------------------------------------------------------


class ActionForm(forms.Form):
    """The hidden version and an optional note; subclasses add what their action needs."""

    action = ""
    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, dossier, user, action=None, **kwargs):
        self.dossier = dossier
        self.user = user
        if action is not None:
            self.action = action
        kwargs["initial"] = {
            "version": dossier.version,
            **self.proposed(),
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        # Each form posts to its own URL, so field names may repeat; ids must not.
        self.auto_id = f"id_{self.action}_%s"

    def proposed(self):
        """Initial values suggested from the dossier."""
        return {}

    def service_kwargs(self):
        return {"expected_version": self.cleaned_data["version"]}

    def perform(self):
        """Run the action's service; raises services.ActionRefused with a clear message."""
        return SIMPLE_ACTIONS[self.action](
            self.dossier, self.user, note=self.cleaned_data["note"], **self.service_kwargs()
        )


class ReasonForm(ActionForm):
    """Stop processing, or record the applicant's withdrawal: the reason is required."""

    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def perform(self):
        return services.withdraw(
            self.dossier, self.user, reason=self.cleaned_data["note"], **self.service_kwargs()
        )


class StopForm(ReasonForm):
    """Dừng giải quyết: the leader's decision, its ground and reason (printed on Form 05)."""

    ground = forms.ChoiceField(
        label=_("Ground for stopping"),
        choices=services.STOP_GROUNDS,
        widget=forms.RadioSelect,
    )

    field_order = ["ground", "note"]

    def perform(self):
        return services.stop_processing(
            self.dossier,
            self.user,
            reason=self.cleaned_data["note"],
            ground=self.cleaned_data["ground"],
            **self.service_kwargs(),
        )


class CounterSupplementForm(ActionForm):
    """The applicant brought the missing papers to the counter: the clerk records them."""

    note = forms.CharField(
        label=_("Papers received at the counter"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    scan = forms.FileField(label=_("Scan (PDF, JPEG or PNG, optional)"), required=False)

    def clean_scan(self):
        scan = self.cleaned_data.get("scan")
        if scan:
            self.checked_scan = uploads.check_upload(scan)
        return scan

    def perform(self):
        scan = self.cleaned_data.get("scan")
        scans = [(None, scan, self.checked_scan)] if scan else []
        return services.add_supplement(
            self.dossier,
            self.user,
            pending_uploads=[],
            note=self.cleaned_data["note"],
            scans=scans,
            **self.service_kwargs(),
        )


def specialists_of(agency):
    """Active specialists working for `agency`, by name."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.SPECIALIST, profile__agency=agency)
        .order_by("first_name", "last_name", "username")
        .distinct()
    )


class SpecialistChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return person_name(obj)


class AssignForm(ActionForm):
    action = Event.ASSIGN
    specialist = SpecialistChoiceField(label=_("Specialist"), queryset=None)

    field_order = ["specialist", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialist"].queryset = specialists_of(self.dossier.agency_id)

    def proposed(self):
        return {"specialist": self.dossier.assigned_to_id}

    def perform(self):
        data = self.cleaned_data
        return services.assign(
            self.dossier,
            self.user,
            specialist=data["specialist"],
            note=data["note"],
            **self.service_kwargs(),
        )


class SupplementForm(ActionForm):
    """Form 02: everything that is missing, once, with the reason."""

    action = Event.REQUEST_SUPPLEMENT
    items = forms.CharField(
        label=_("Papers to add or complete (one per line)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    note = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["items", "note"]

    def perform(self):
        items = [line.strip() for line in self.cleaned_data["items"].splitlines()]
        return services.request_supplement(
            self.dossier,
            self.user,
            items=items,
            reason=self.cleaned_data["note"],
            **self.service_kwargs(),
        )


class AmountField(forms.CharField):
    """Đồng as typed at the counter: "50.000", "50,000", "50 000" and "50000" are all 50000.

    (Django's localized IntegerField would read "50.000" as 50.)
    """

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        digits = re.sub(r"[\s.,]", "", value)
        if not digits.isdigit() or not 0 < int(digits) <= 1_000_000_000:
            raise ValidationError(_("Enter the amount in đồng, for example 50.000."))
        return int(digits)


class PaymentForm(ActionForm):
    action = Event.REQUEST_PAYMENT
    amount = AmountField(
        label=_("Amount (đồng)"), widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )

    field_order = ["amount", "note"]

    def proposed(self):
        fee = self.dossier.procedure.fee
        return {"amount": int(fee)} if fee else {}

    def perform(self):
        data = self.cleaned_data
        return services.request_payment(
            self.dossier,
            self.user,
            amount=data["amount"],
            note=data["note"],
            **self.service_kwargs(),
        )


class AgencyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class TransferForm(ActionForm):
    action = Event.TRANSFER
    agency = AgencyChoiceField(label=_("Transfer to"), queryset=None)

    field_order = ["agency", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.exclude(pk=self.dossier.agency_id)

    def perform(self):
        data = self.cleaned_data
        return services.transfer_to_agency(
            self.dossier,
            self.user,
            agency=data["agency"],
            note=data["note"],
            **self.service_kwargs(),
        )


class ResultForm(ActionForm):
    action = Event.RECORD_RESULT
    note = None
    number = forms.CharField(label=_("Result number"), max_length=60, required=False)
    date = forms.DateField(label=_("Result date"), required=False, widget=date_widget())
    summary = forms.CharField(
        label=_("Result"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(label=_("Scan of the result (PDF, JPEG or PNG)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_info = None

    def proposed(self):
        dossier = self.dossier
        return {
            "number": dossier.result_number,
            "date": dossier.result_date,
            "summary": dossier.result_summary,
        }

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            self.file_info = uploads.check_upload(upload)
        return upload

    def perform(self):
        data = self.cleaned_data
        return services.record_result(
            self.dossier,
            self.user,
            number=data["number"].strip(),
            date=data["date"],
            summary=data["summary"].strip(),
            upload=data["file"] or None,
            info=self.file_info,
            **self.service_kwargs(),
        )


class ReturnForm(ActionForm):
    action = Event.RETURN
    collected_by = forms.CharField(label=_("Collected by"), max_length=200)
    method = forms.ChoiceField(
        label=_("Returned how"),
        choices=Dossier.ReturnMethod.choices,
        initial=Dossier.ReturnMethod.COUNTER,
    )

    field_order = ["collected_by", "method", "note"]

    def proposed(self):
        # The way the applicant chose at intake (counter, post, online), if they chose one.
        return {
            "collected_by": self.dossier.applicant_name,
            "method": self.dossier.result_delivery or Dossier.ReturnMethod.COUNTER,
        }

    def perform(self):
        data = self.cleaned_data
        return services.mark_returned(
            self.dossier,
            self.user,
            collected_by=data["collected_by"],
            method=data["method"],
            note=data["note"],
            **self.service_kwargs(),
        )


class RescheduleForm(ActionForm):
    """Form 04: the new appointment (proposed: the current due + 2 working days) and why."""

    action = Event.RESCHEDULE
    new_date = forms.DateField(label=_("New appointment date"), widget=date_widget())
    new_time = forms.TimeField(label=_("New appointment time"), widget=time_widget())
    note = forms.CharField(
        label=_("Reason for the delay"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = ["new_date", "new_time", "note"]

    def proposed(self):
        new_due = deadlines.proposed_new_due(self.dossier)
        if new_due is None:
            return {}
        return {"new_date": new_due.date(), "new_time": new_due.time().replace(second=0)}

    def clean(self):
        data = super().clean()
        if data.get("new_date") and data.get("new_time"):
            data["new_due"] = datetime.combine(
                data["new_date"], data["new_time"], tzinfo=deadlines.TZ
            )
        return data

    def perform(self):
        data = self.cleaned_data
        return services.reschedule(
            self.dossier,
            self.user,
            new_due=data["new_due"],
            reason=data["note"],
            **self.service_kwargs(),
        )


class ApproveForm(ActionForm):
    """The leader signs; ticking the box also marks the result ready (one step, not two)."""

    resolve = forms.BooleanField(
        label=_("The signed result is ready: also mark the dossier resolved"),
        required=False,
        initial=True,
    )

    def perform(self):
        return services.approve(
            self.dossier,
            self.user,
            note=self.cleaned_data["note"],
            resolve=self.cleaned_data["resolve"],
            **self.service_kwargs(),
        )


# Actions whose only input is an optional note.
SIMPLE_ACTIONS = {
    Event.START: services.start_processing,
    Event.CONFIRM_PAYMENT: services.confirm_payment,
    Event.TAKE_BACK: services.take_back,
    Event.SEND_FOR_APPROVAL: services.send_for_approval,
    Event.APPROVE: services.approve,
    Event.RESOLVE: services.mark_resolved,
}

# The back office's actions, in workflow order, each with its form. Intake ("accept",
# "refuse") is the counter's page, and the applicant's "supplement" the citizen's.
FORMS = {
    Event.ASSIGN: AssignForm,
    Event.START: ActionForm,
    Event.REQUEST_SUPPLEMENT: SupplementForm,
    Event.SUPPLEMENT: CounterSupplementForm,
    Event.REQUEST_PAYMENT: PaymentForm,
    Event.CONFIRM_PAYMENT: ActionForm,
    Event.TRANSFER: TransferForm,
    Event.TAKE_BACK: ActionForm,
    Event.RECORD_RESULT: ResultForm,
    Event.SEND_FOR_APPROVAL: ActionForm,
    Event.APPROVE: ApproveForm,
    Event.RESOLVE: ActionForm,
    Event.RETURN: ReturnForm,
    Event.STOP: StopForm,
    Event.RESCHEDULE: RescheduleForm,
    Event.WITHDRAW: ReasonForm,
}


def action_form(action, dossier, user, data=None, files=None):
    """The form of `action` for `dossier`, bound to the POST when given."""
    return FORMS[action](data, files, dossier=dossier, user=user, action=action)
