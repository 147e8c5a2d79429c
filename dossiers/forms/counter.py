"""Forms of the one-stop counter: register a paper dossier, review an online one."""

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .. import uploads
from ..models import CounterGuidance, Dossier
from ..services import Applicant, PaperCount
from .fields import PersonalIdField, PhoneField


class ApplicantFields(forms.Form):
    applicant_name = forms.CharField(label=_("Applicant's full name"), max_length=200)
    applicant_phone = PhoneField(label=_("Phone"))
    applicant_id_number = PersonalIdField(required=False)
    applicant_email = forms.EmailField(label=_("Email"), required=False)
    applicant_address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def clean_applicant_name(self):
        name = " ".join(self.cleaned_data["applicant_name"].split())
        if len(name) < 2:
            raise ValidationError(_("Enter the applicant's full name."))
        return name

    def applicant(self):
        data = self.cleaned_data
        return Applicant(
            name=data["applicant_name"],
            phone=data["applicant_phone"],
            id_number=data["applicant_id_number"],
            email=data["applicant_email"],
            address=data["applicant_address"],
        )


class CounterIntakeForm(ApplicantFields):
    """The counter page: applicant, papers ticked with their counts, optional scans, Save."""

    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    request_text = forms.CharField(
        label=_("Request"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    sets = forms.IntegerField(label=_("Number of sets"), min_value=1, max_value=20, initial=1)
    channel = forms.ChoiceField(
        label=_("The dossier came"),
        choices=[
            (Dossier.Channel.COUNTER, _("At the counter")),
            (Dossier.Channel.POST, _("By post (Bưu chính)")),
        ],
        initial=Dossier.Channel.COUNTER,
        widget=forms.RadioSelect,
        required=False,
    )
    result_delivery = forms.ChoiceField(
        label=_("The applicant receives the result"),
        choices=Dossier.ReturnMethod.choices,
        initial=Dossier.ReturnMethod.COUNTER,
        widget=forms.RadioSelect,
        required=False,
    )
    delivery_address = forms.CharField(
        label=_("Address to post the result to"), max_length=300, required=False
    )

    def __init__(self, *args, procedure, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        if not procedure.accepts_post:
            self.fields["channel"].choices = self.fields["channel"].choices[:1]
        if not procedure.allows_online_submission:
            self.fields["result_delivery"].choices = [
                choice
                for choice in Dossier.ReturnMethod.choices
                if choice[0] != Dossier.ReturnMethod.ONLINE
            ]
        self.documents = list(procedure.documents.all())
        for document in self.documents:
            prefix = f"paper_{document.pk}"
            self.fields[f"{prefix}_received"] = forms.BooleanField(
                label=document.name, required=False, initial=document.is_required
            )
            for suffix, label, initial in (
                ("originals", _("Originals"), document.originals),
                ("copies", _("Copies"), document.copies),
                ("certified", _("Certified copies"), 0),
            ):
                self.fields[f"{prefix}_{suffix}"] = forms.IntegerField(
                    label=label, min_value=0, max_value=99, initial=initial, required=False
                )
            self.fields[f"{prefix}_scan"] = forms.FileField(
                label=_("Scan (PDF, JPEG or PNG)"), required=False
            )

    def paper_rows(self):
        """The bound fields of each paper, for the table on the page."""
        for document in self.documents:
            prefix = f"paper_{document.pk}"
            yield {
                "document": document,
                "received": self[f"{prefix}_received"],
                "counts": [self[f"{prefix}_{s}"] for s in ("originals", "copies", "certified")],
                "scan": self[f"{prefix}_scan"],
            }

    def clean(self):
        data = super().clean()
        self.checked_scans = []
        total = 0
        missing = []
        for document in self.documents:
            prefix = f"paper_{document.pk}"
            received = data.get(f"{prefix}_received")
            if document.is_required and not received:
                missing.append(document.name)
            if received and not any(
                data.get(f"{prefix}_{s}") for s in ("originals", "copies", "certified")
            ):
                self.add_error(
                    f"{prefix}_originals", _("Write how many originals or copies were received.")
                )
            scan = data.get(f"{prefix}_scan")
            if scan:
                try:
                    info = uploads.check_upload(scan)
                except ValidationError as exc:
                    self.add_error(f"{prefix}_scan", exc)
                    continue
                total += info.size
                self.checked_scans.append((document, scan, info))
        if missing:
            raise ValidationError(
                _(
                    "These required papers are not ticked: %(papers)s. Ask the applicant for "
                    "them once, completely, or refuse the dossier."
                ),
                params={"papers": "; ".join(missing)},
            )
        if total > uploads.MAX_DOSSIER_BYTES:
            raise ValidationError(_("The scans together are larger than 50 MB."))
        # Not chosen: the usual case, handed in and collected at the counter.
        data["channel"] = data.get("channel") or Dossier.Channel.COUNTER
        data["result_delivery"] = data.get("result_delivery") or Dossier.ReturnMethod.COUNTER
        if (
            data.get("result_delivery") == Dossier.ReturnMethod.POST
            and not (data.get("delivery_address") or "").strip()
        ):
            self.add_error("delivery_address", _("Write the address to post the result to."))
        return data

    def papers(self):
        data = self.cleaned_data
        return [
            PaperCount(
                name=document.name,
                originals=data.get(f"paper_{document.pk}_originals") or 0,
                copies=data.get(f"paper_{document.pk}_copies") or 0,
                certified_copies=data.get(f"paper_{document.pk}_certified") or 0,
                required_document_id=document.pk,
            )
            for document in self.documents
            if data.get(f"paper_{document.pk}_received")
        ]


class VersionedActionForm(forms.Form):
    """Carries the version of the dossier the user saw, so concurrent changes are caught."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class SupplementRequestForm(VersionedActionForm):
    items = forms.CharField(
        label=_("Papers to add or complete (one per line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def item_list(self):
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]


class RefusalForm(VersionedActionForm):
    reason = forms.CharField(
        label=_("Reason for refusing"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CounterGuidanceForm(ApplicantFields):
    """A walk-in applicant turned away: Form 02 (what to add) or Form 03 (refusal), no dossier."""

    kind = forms.ChoiceField(
        label=_("Form to print"),
        choices=CounterGuidance.Kind.choices,
        initial=CounterGuidance.Kind.GUIDANCE,
        widget=forms.RadioSelect,
    )
    items = forms.CharField(
        label=_("Papers to add or complete (one per line)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    field_order = ["kind", "applicant_name", "applicant_phone", "items", "reason"]

    def item_list(self):
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if data.get("kind") == CounterGuidance.Kind.GUIDANCE and not self.item_list():
            self.add_error("items", _("List at least one paper the applicant must add."))
        if data.get("kind") == CounterGuidance.Kind.REFUSAL and not data.get("reason", "").strip():
            self.add_error("reason", _("Give the reason for refusing the dossier."))
        return data
