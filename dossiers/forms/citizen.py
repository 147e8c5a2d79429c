"""Forms of the citizen's side: registration, online submission and supplements.

File slots (one per paper of the procedure) are checked by `dossiers.uploads`; a good file is kept
as a PendingUpload under the form's token even when another field fails, so the citizen never
chooses it again.
"""

import logging
import smtplib
import uuid
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_encode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from myphong import roles
from myphong.accounts import may_mail, unconfirmed_citizens
from myphong.models import Profile, person_name

from .. import uploads
from ..models import Dossier, PendingUpload
from ..services import Applicant
from .fields import PersonalIdField, PhoneField

log = logging.getLogger(__name__)

# --- Accounts ------------------------------------------------------------------------------


class RegistrationForm(forms.Form):
    """A citizen's account: the email is the username; it stays inactive until confirmed."""

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("As written on your ID card, for example Nguyễn Thị Lan."),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=150,  # it becomes the username
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send a link to this address to confirm it."),
    )
    phone = PhoneField()
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not too common."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    error_messages = {
        "mismatch": _("The two passwords are not the same."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unconfirmed = None
        # A confirmed account already holds the address: the form answers as for a new one
        # (an address's owner is told by email), so it does not reveal who has an account.
        self.existing = None

    def clean_full_name(self):
        return " ".join(self.cleaned_data["full_name"].split())

    def clean_email(self):
        """A confirmed address is taken; an unconfirmed one may be registered again.

        Registering again replaces the password (which also voids the old link): whoever
        registered someone else's address first cannot keep an account the owner confirms.
        """
        email = self.cleaned_data["email"].strip().lower()
        users = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
        taken = list(users[:2])
        if len(taken) == 1 and _is_unconfirmed_citizen(taken[0]):
            self.unconfirmed = taken[0]
        elif taken:
            self.existing = taken[0]
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(self.error_messages["mismatch"]))
        elif password2:
            user = get_user_model()(
                username=cleaned.get("email", ""),
                email=cleaned.get("email", ""),
                first_name=cleaned.get("full_name", ""),
            )
            try:
                password_validation.validate_password(password2, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned

    def save(self):
        """The inactive citizen, or None when the address already has an account (see
        `existing`) or was registered meanwhile."""
        data = self.cleaned_data
        if self.existing is not None:
            return None
        try:
            with transaction.atomic():
                user = self.unconfirmed or get_user_model()(
                    username=data["email"], email=data["email"], is_active=False
                )
                # As everywhere in the portal: the given name (the last word) in first_name,
                # family and middle names in last_name; myphong.models.person_name shows them
                # in Vietnamese order.
                family, _space, given = data["full_name"].rpartition(" ")
                user.first_name, user.last_name = given, family
                user.set_password(data["password1"])
                user.save()
                Profile.objects.update_or_create(user=user, defaults={"phone": data["phone"]})
                user.groups.add(Group.objects.get_or_create(name=roles.CITIZEN)[0])
        except IntegrityError:
            # Registered meanwhile by a parallel request: answer as for any taken address.
            self.existing = get_user_model().objects.filter(username=data["email"]).first()
            return None
        return user


def _is_unconfirmed_citizen(user):
    return (
        not user.is_active
        and user.last_login is None
        and user.groups.filter(name=roles.CITIZEN).exists()
    )


def registration_fingerprint(user):
    """Ties a confirmation to the browser that chose the password (see views.confirm_email)."""
    return salted_hmac("dossiers.registration", f"{user.pk}:{user.password}").hexdigest()


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def save(self, next_url=""):
        """Mail a new link if the address waits for confirmation; say nothing either way."""
        email = self.cleaned_data["email"].strip().lower()
        user = unconfirmed_citizens().filter(username=email).first()
        if user is not None and may_mail(user.email):
            send_confirmation_email(user, next_url)


def confirmation_link(user, next_url=""):
    """The absolute link that confirms `user`'s email (valid for PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "dossiers:confirm_email",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts=None):
        path += "?" + urlencode({"next": next_url})
    return settings.PORTAL_BASE_URL + path


def link_validity():
    """How long a confirmation link works, in words ("3 days", "12 hours")."""
    hours = max(1, settings.PASSWORD_RESET_TIMEOUT // 3600)
    if hours % 24 == 0:
        days = hours // 24
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}


def send_already_registered_email(user):
    """Tell an account's owner that someone registered their address again (nothing changed)."""
    context = {
        "name": person_name(user),
        "login_link": settings.PORTAL_BASE_URL + reverse("login"),
        "reset_link": settings.PORTAL_BASE_URL + reverse("password_reset"),
        "agency_name": settings.PORTAL_AGENCY_NAME,
        "hotline": settings.PORTAL_HOTLINE,
    }
    return _send(user, "emails/already_registered", context)


def _send(user, template, context):
    subject = render_to_string(f"{template}_subject.txt", context)
    body = render_to_string(f"{template}.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [user.email])
    except (smtplib.SMTPException, OSError):
        # The account exists; the citizen can ask for the link again once mail works.
        log.exception("Could not mail %s to user %s", template, user.pk)
        return False
    return True


def send_confirmation_email(user, next_url=""):
    """Mail the confirmation link; False (and a log entry) when the mail server refuses."""
    context = {
        "name": person_name(user),
        "link": confirmation_link(user, next_url),
        "valid_for": link_validity(),
        "agency_name": settings.PORTAL_AGENCY_NAME,
        "hotline": settings.PORTAL_HOTLINE,
    }
    return _send(user, "emails/confirm_email", context)


# --- File slots ----------------------------------------------------------------------------


class PaperField(forms.FileField):
    """One paper's file; a new file is checked by content and carries its UploadInfo."""

    widget = forms.FileInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = uploads.ACCEPT

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            value.upload_info = uploads.check_upload(value)
        return value


@dataclass(frozen=True)
class Slot:
    """One file slot of a form: a paper of the procedure, or an item a supplement request asked
    for in its own words (`item`, with the paper it names, if any, as `document`)."""

    name: str  # the form field's name
    key: object  # what the kept file is filed under: the paper's id, or the item's words
    label: str
    required: bool
    document: object = None
    item: str = ""


def paper_slot(document, required):
    label = document.name if required else gettext("%(paper)s (if any)") % {"paper": document.name}
    return Slot(f"paper_{document.pk}", document.pk, label, required, document=document)


def item_slot(index, item):
    """An item asked for; required when it names a paper of the procedure (a free-text item
    may be brought to the office instead, which the note says)."""
    required = item.document is not None
    return Slot(
        f"item_{index}", item.text, item.text, required, document=item.document, item=item.text
    )


class PaperSlotsForm(forms.Form):
    """A form with one file slot per paper (or per item asked for), whose good files survive a
    failed submission."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, user, documents, required_ids=None, slots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.documents = list(documents)
        if slots is None:
            slots = [
                paper_slot(d, d.is_required if required_ids is None else d.pk in required_ids)
                for d in self.documents
            ]
        self.slot_list = list(slots)
        self._slot_of_field = {slot.name: slot for slot in self.slot_list}
        self.token = self._token()
        self.kept = uploads.kept_uploads(self.token, user)
        self._over_total = False
        # Set by keep_uploads when the same form was being sent by another request.
        self.sent_twice = False
        for slot in self.slot_list:
            self.fields[slot.name] = PaperField(
                label=slot.label,
                required=slot.required,
                error_messages={"required": _("Attach this paper: it is required.")},
            )
            self._describe_slot(slot)

    # Django's FileField returns the initial value when no new file arrives: the kept file
    # stands in for the slot, so a required slot with a kept file is satisfied.
    def get_initial_for_field(self, field, field_name):
        slot = self._slot_of_field.get(field_name)
        if slot is not None:
            return self.kept.get(slot.key)
        return super().get_initial_for_field(field, field_name)

    def _token(self):
        """The form's token; a new one when the posted one is missing or not a UUID."""
        if not self.is_bound:
            token = self.initial.get("token") or uuid.uuid4()
            self.initial["token"] = token
            return token
        try:
            token = uuid.UUID(str(self.data.get("token")))
        except ValueError:
            token = None
        if token is None or uploads.token_taken(token, self.user):
            # Missing, malformed, or another citizen's form replayed: this form starts afresh.
            token = uuid.uuid4()
            self.data = self.data.copy()
            self.data["token"] = str(token)
        return token

    def _describe_slot(self, slot):
        name = slot.name
        field = self.fields[name]
        kept = self.kept.get(slot.key)
        rules = gettext("PDF, JPEG or PNG, at most %(limit)s.") % {
            "limit": f"{uploads.MAX_FILE_BYTES // (1024 * 1024)} MB"
        }
        if kept is None:
            field.help_text = rules
            self.fields.pop(f"{name}_remove", None)
        else:
            field.help_text = format_html(
                "<strong>{}</strong> {}",
                gettext("Uploaded: %(file)s (%(size)s)")
                % {"file": kept.original_name, "size": filesizeformat(kept.size)},
                gettext("— choose another file only to replace it. %(rules)s") % {"rules": rules},
            )
            if not field.required:
                self.fields[f"{name}_remove"] = forms.BooleanField(
                    required=False,
                    label=gettext("Remove the uploaded file %(file)s")
                    % {"file": kept.original_name},
                )
        if name in self._bound_fields_cache:
            self[name].help_text = field.help_text

    def slots(self, slots=None):
        """(bound file field, kept upload, bound remove field or None) for each slot."""
        for slot in self.slot_list if slots is None else slots:
            remove = f"{slot.name}_remove"
            yield (
                self[slot.name],
                self.kept.get(slot.key),
                self[remove] if remove in self.fields else None,
            )

    def clean(self):
        cleaned = super().clean()
        total = 0
        for slot in self.slot_list:
            name = slot.name
            value = cleaned.get(name)
            if isinstance(value, PendingUpload) and self.data.get(f"{name}_remove"):
                if self.fields[name].required:
                    self.add_error(name, self.fields[name].error_messages["required"])
                else:
                    cleaned[name] = None
                continue
            if isinstance(value, UploadedFile):
                total += value.upload_info.size
            elif slot.key in self.kept:
                total += self.kept[slot.key].size  # kept, or kept while its new file failed
        if total > uploads.MAX_DOSSIER_BYTES:
            self._over_total = True
            self.add_error(
                None,
                forms.ValidationError(
                    _(
                        "The files together are %(size)s; a dossier may have at most %(limit)s. "
                        "Please choose smaller files (for example scan in black and white or at "
                        "a lower resolution)."
                    ),
                    code="dossier_too_big",
                    params={
                        "size": filesizeformat(total),
                        "limit": f"{uploads.MAX_DOSSIER_BYTES // (1024 * 1024)} MB",
                    },
                ),
            )
        return cleaned

    def keep_uploads(self):
        """Keep the good new files (even if another field failed), drop the removed ones.

        Returns the kept files, in the order of the papers, for the service to attach.
        """
        cleaned = getattr(self, "cleaned_data", {})
        for slot in self.slot_list:
            value = cleaned.get(slot.name)
            if isinstance(value, UploadedFile) and not self._over_total:
                self._keep(slot, value)
            elif value is None and slot.name in cleaned and slot.key in self.kept:
                uploads.discard_pending([self.kept.pop(slot.key)])
            self._describe_slot(slot)
        return [self.kept[slot.key] for slot in self.slot_list if slot.key in self.kept]

    def _keep(self, slot, uploaded):
        if not uploads.may_keep(self.user, uploaded.upload_info.size):
            self.add_error(
                slot.name,
                forms.ValidationError(
                    _(
                        "You have too many files in forms not sent yet. Send those forms, or "
                        "try again tomorrow: unsent files are deleted after a day."
                    ),
                    code="pending_quota",
                ),
            )
            return
        try:
            self.kept[slot.key] = uploads.keep_pending(
                self.token,
                self.user,
                slot.document,
                uploaded,
                uploaded.upload_info,
                item=slot.item,
            )
        except uploads.SlotTaken:
            self.sent_twice = True
            self.add_error(
                None,
                forms.ValidationError(
                    _("This form was sent twice at the same moment. Please check it and send "
                      "it once more."),
                    code="sent_twice",
                ),
            )  # fmt: skip

    def error_summary(self):
        """(field id or None, label, message) of every error, for the list above the form."""
        for name, errors in self.errors.items():
            if name in self.fields and not self.fields[name].widget.is_hidden:
                bound = self[name]
                for error in errors:
                    yield bound.id_for_label, bound.label, error
            else:
                for error in errors:
                    yield None, "", error


class OnlineSubmissionForm(PaperSlotsForm):
    applicant_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = PersonalIdField()
    phone = PhoneField()
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(
        label=_("Permanent or current address"),
        max_length=300,
        # One line: "street-address" is for a multi-line field.
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    request_text = forms.CharField(
        label=_("What you ask for"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: anything the office should know about your request."),
    )
    result_delivery = forms.ChoiceField(
        label=_("How you receive the result"),
        choices=Dossier.ReturnMethod.choices,
        initial=Dossier.ReturnMethod.COUNTER,
        widget=forms.RadioSelect,
        required=False,
    )
    delivery_address = forms.CharField(
        label=_("Address to post the result to"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )

    field_order = ["applicant_name", "id_number", "phone", "email", "address", "request_text"]

    def clean(self):
        data = super().clean()
        data["result_delivery"] = data.get("result_delivery") or Dossier.ReturnMethod.COUNTER
        if (
            data["result_delivery"] == Dossier.ReturnMethod.POST
            and not (data.get("delivery_address") or "").strip()
        ):
            self.add_error("delivery_address", _("Write the address to post the result to."))
        return data

    applicant_fields = ("applicant_name", "id_number", "phone", "email", "address")

    def applicant(self):
        data = self.cleaned_data
        return Applicant(
            name=" ".join(data["applicant_name"].split()),
            phone=data["phone"],
            id_number=data["id_number"],
            email=data["email"].lower(),
            address=data["address"].strip(),
        )

    @staticmethod
    def initial_for(user):
        """The applicant's details prefilled from the account."""
        profile = getattr(user, "profile", None)
        return {
            "applicant_name": person_name(user) if user.get_full_name() else "",
            "phone": profile.phone if profile is not None else "",
            "email": user.email,
        }


class SupplementForm(PaperSlotsForm):
    """The papers the office asked for; papers named in the request are required."""

    note = forms.CharField(
        label=_("Note for the office"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: for example what you changed, or a paper you will bring in person."),
    )

    def __init__(self, *args, items=(), documents=(), **kwargs):
        """`items` are what the request asked for (selectors.supplement_items: each with the
        paper it names, if any). Each item has its own slot, whatever it matches; the papers no
        item names follow, optional, to replace a file already sent."""
        documents = list(documents)
        named = {item.document.pk for item in items if item.document is not None}
        self.item_slots = [item_slot(index, item) for index, item in enumerate(items)]
        self.paper_slots = [paper_slot(d, False) for d in documents if d.pk not in named]
        super().__init__(
            *args, documents=documents, slots=self.item_slots + self.paper_slots, **kwargs
        )

    def requested_slots(self):
        return list(self.slots(self.item_slots))

    def other_slots(self):
        return list(self.slots(self.paper_slots))

    def clean(self):
        cleaned = super().clean()
        has_file = any(
            isinstance(cleaned.get(slot.name), UploadedFile | PendingUpload)
            for slot in self.slot_list
        )
        if not self.errors and not has_file and not cleaned.get("note", "").strip():
            raise forms.ValidationError(
                _("Attach at least one file, or write a note for the office."), code="empty"
            )
        return cleaned
