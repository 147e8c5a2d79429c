"""The life of a dossier, and the working calendar its deadlines are counted on."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _

from procedures.text import fold

from .workflow import Status


class CalendarException(models.Model):
    """A day the government announced differently from the `holidays` library.

    It wins over the library: an extra day off (is_working_day=False) or a Saturday worked as a
    make-up day (is_working_day=True). The government announces such swaps each year and the
    library lags, so the admin keeps them here.
    """

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        help_text=_("Ticked: a make-up working day. Not ticked: an extra day off."),
    )
    note = models.CharField(_("note"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self):
        kind = _("working day") if self.is_working_day else _("day off")
        return f"{self.date:%d/%m/%Y} — {kind}: {self.note}"


def _lookup_key():
    """Six characters printed on the receipt: a second factor for the public lookup.

    The alphabet leaves out characters that are easy to misread on paper (0/O, 1/I/L).
    """
    return get_random_string(6, allowed_chars="ABCDEFGHJKMNPQRSTUVWXYZ23456789")


class Dossier(models.Model):
    """Hồ sơ: one request of one applicant for one procedure, from submission to return."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        COUNTER = "counter", _("At the counter")
        POST = "post", _("By post")

    class ReturnMethod(models.TextChoices):
        COUNTER = "counter", _("At the counter")
        POST = "post", _("By post")
        ONLINE = "online", _("Online")

    code = models.CharField(_("dossier code"), max_length=40, unique=True, null=True, blank=True)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("receiving agency"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=30, choices=Status.choices, default=Status.SUBMITTED
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("citizen account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dossiers",
    )
    applicant_name = models.CharField(_("applicant's full name"), max_length=200)
    applicant_id_number = models.CharField(
        _("personal identification number"), max_length=20, blank=True
    )
    applicant_phone = models.CharField(_("phone"), max_length=20)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=300, blank=True)
    request = models.TextField(_("request"), blank=True)
    sets = models.PositiveSmallIntegerField(_("number of sets"), default=1)
    lookup_key = models.CharField(_("lookup key"), max_length=12, default=_lookup_key)
    intake_token = models.UUIDField(
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Makes a retried Save harmless.",
    )

    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    clock_started_at = models.DateTimeField(
        _("legal time counted from"),
        null=True,
        blank=True,
        help_text=_("The receipt, or the return of a complete supplemented dossier."),
    )
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    supplement_requested = models.BooleanField(
        _("supplements requested"),
        default=False,
        help_text=_("The office asks for missing papers once, completely."),
    )
    # --- Processing (the back office)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("specialist"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_dossiers",
    )
    transferred_to = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("transferred to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transferred_dossiers",
        help_text=_("The agency processing the dossier through inter-agency transfer."),
    )
    clock_paused_at = models.DateTimeField(
        _("clock paused at"),
        null=True,
        blank=True,
        help_text=_("Waiting for the fee: this time is not counted against the office."),
    )
    due_before_apology = models.DateTimeField(
        _("due before the apology"),
        null=True,
        blank=True,
        help_text=_("Set by the one rescheduling (Form 04); timeliness is judged against it."),
    )
    approval_requested_at = models.DateTimeField(_("sent for approval"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    result_number = models.CharField(_("result number"), max_length=60, blank=True)
    result_date = models.DateField(_("result date"), null=True, blank=True)
    result_summary = models.TextField(_("result"), blank=True)
    result_delivery = models.CharField(
        _("result delivered"),
        max_length=20,
        choices=ReturnMethod.choices,
        blank=True,
        help_text=_("How the applicant chose at intake to receive the result."),
    )
    delivery_address = models.CharField(_("address for the result"), max_length=300, blank=True)
    returned_to = models.CharField(_("collected by"), max_length=200, blank=True)
    return_method = models.CharField(
        _("returned how"), max_length=20, choices=ReturnMethod.choices, blank=True
    )
    applicant_name_folded = models.CharField(max_length=200, blank=True, editable=False)
    register_number = models.PositiveIntegerField(
        _("register row"),
        null=True,
        blank=True,
        help_text=_("The dossier's row in the register (Form 07) of its receipt year."),
    )

    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        indexes = [
            models.Index(fields=["agency", "status", "due_at"]),
            # The "All" queue and the register, newest first: 25 rows read in order, where a
            # sort of every dossier of the agency took 13 ms at 3,000 (and grows with them).
            models.Index(
                models.F("received_at").desc(nulls_last=True),
                models.F("id").desc(),
                name="dossier_received_newest",
            ),
        ]

    def __str__(self):
        return self.code or _("Dossier #%(id)s (not yet received)") % {"id": self.pk}

    def save(self, *args, **kwargs):
        # Queues find "nguyen thi hoa" in "Nguyễn Thị Hoa" with a plain, indexable LIKE.
        self.applicant_name_folded = fold(self.applicant_name)
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "applicant_name_folded"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        dossier = super().from_db(db, field_names, values)
        # The agency it was transferred to when read: a transfer's end changes that agency's
        # pages too (dossiers.workcache).
        dossier._loaded_transferred_to_id = dossier.__dict__.get("transferred_to_id")
        return dossier

    @property
    def reference(self):
        """What to call the dossier before it has a code."""
        return self.code or f"#{self.pk}"

    @property
    def promised_due_at(self):
        """The due time timeliness is judged against: the one before a Form 04 rescheduling."""
        return self.due_before_apology or self.due_at


class DossierPaper(models.Model):
    """One paper the applicant handed in, with counts, as printed on the receipt (Form 01)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    required_document = models.ForeignKey(
        "procedures.RequiredDocument", on_delete=models.SET_NULL, null=True, blank=True
    )
    name = models.CharField(_("paper"), max_length=500)
    originals = models.PositiveSmallIntegerField(_("originals"), default=0)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    certified_copies = models.PositiveSmallIntegerField(_("certified copies"), default=0)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("paper received")
        verbose_name_plural = _("papers received")

    def __str__(self):
        return self.name


def attachment_path(attachment, filename):
    # Never under a public URL: files are served by a view that checks who asks.
    return f"dossiers/{attachment.dossier_id}/{get_random_string(12)}-{filename}"


class Attachment(models.Model):
    """A scanned or uploaded file of a dossier, checked by content, size and name."""

    class Kind(models.TextChoices):
        APPLICATION = "application", _("Application paper")
        SUPPLEMENT = "supplement", _("Supplemented paper")
        RESULT = "result", _("Result")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="attachments")
    required_document = models.ForeignKey(
        "procedures.RequiredDocument",
        verbose_name=_("required document"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # What a supplement request asked for, in its words, when the file answers one of its items.
    requested_item = models.CharField(_("item asked for"), max_length=500, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.APPLICATION)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name


class DossierEvent(models.Model):
    """Append-only history: who did what, when, from which status to which, and why.

    Form 06 and Form 07 are built from these rows, so they are never edited or deleted.
    """

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=30, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("by"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier events")

    def __str__(self):
        return f"{self.dossier.reference} {self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Dossier events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Dossier events are append-only")


class DossierCodeCounter(models.Model):
    """The last sequence number issued per agency per receipt date (see dossiers.codes)."""

    agency = models.ForeignKey("procedures.Agency", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="one_counter_per_agency_day")
        ]

    def __str__(self):
        return f"{self.agency_id} {self.day:%d/%m/%Y}: {self.last}"


class FormNumberCounter(models.Model):
    """The last "Số" issued per agency, form and year (01-05 and the register's rows, 07): a
    form's number is a real document number, never repeated (codes.take_next)."""

    agency = models.ForeignKey("procedures.Agency", on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "form", "year"], name="one_form_counter_per_agency_form_year"
            )
        ]

    def __str__(self):
        return f"{self.agency_id} {self.form}/{self.year}: {self.last}"


class Slip(models.Model):
    """A rendered PDF form of a dossier (01 receipt, 02 supplement request, 03 refusal…).

    Stored once: rendering again is a no-op, so a retried task never makes a second slip.
    """

    class Form(models.TextChoices):
        # The numbers of Circular 03/2025/TT-VPCP, Annex I (Forms 06 and 07 are never stored:
        # printing.records renders them on request; their labels serve the pages).
        RECEIPT = "01", _("Receipt and appointment (Form 01)")
        SUPPLEMENT = "02", _("Supplement request (Form 02)")
        REFUSAL = "03", _("Refusal (Form 03)")
        APOLOGY = "04", _("Apology and extension of the processing time (Form 04)")
        STOP = "05", _("Notice of stopping the processing (Form 05)")
        CONTROL = "06", _("Processing control sheet (Form 06)")
        REGISTER = "07", _("Dossier register (Form 07)")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="slips")
    form = models.CharField(max_length=2, choices=Form.choices)
    event = models.ForeignKey(
        DossierEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file = models.FileField(upload_to="slips/%Y/%m/", max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dossier", "form", "event"], name="one_slip_per_event"),
        ]
        verbose_name = _("form slip")
        verbose_name_plural = _("form slips")

    def __str__(self):
        return f"{self.get_form_display()} — {self.dossier.reference}"


class CounterGuidance(models.Model):
    """A walk-in applicant turned away at the counter, before any dossier is received: the clerk's
    guidance on what to add (Form 02, once, completely) or a refusal with its reason (Form 03).

    No dossier is created; this row keeps the record, the form's own number (in the agency's
    series of that form and year, shared with the forms issued on dossiers) and the printed PDF.
    """

    class Kind(models.TextChoices):
        GUIDANCE = "02", _("Guidance to complete the papers (Form 02)")
        REFUSAL = "03", _("Refusal to receive (Form 03)")

    agency = models.ForeignKey(
        "procedures.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        on_delete=models.PROTECT,
        related_name="counter_guidance",
    )
    kind = models.CharField(_("form"), max_length=2, choices=Kind.choices)
    number = models.PositiveIntegerField(_("number"))
    year = models.PositiveSmallIntegerField(_("year"))
    applicant_name = models.CharField(_("applicant's full name"), max_length=200)
    applicant_phone = models.CharField(_("phone"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("email"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=300, blank=True)
    request = models.TextField(_("request"), blank=True)
    items = models.JSONField(_("papers to add"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("clerk"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer_name = models.CharField(_("clerk's name"), max_length=200)
    created_at = models.DateTimeField(_("issued"), default=timezone.now, db_index=True)
    file = models.FileField(upload_to="slips/counter/%Y/%m/", max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("counter guidance")
        verbose_name_plural = _("counter guidance")

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}/{self.year} — {self.applicant_name}"


class PendingUpload(models.Model):
    """A checked file a citizen uploaded on a form that is not submitted yet.

    When another field of the form is wrong, the good files wait here (under the form's token),
    so the citizen does not choose them again; on submit they become Attachments.
    Old ones are swept by a periodic task.
    """

    token = models.UUIDField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The slot the file fills: a paper of the procedure, or an item a supplement request asked
    # for in its own words (which may also name a paper of the procedure).
    required_document = models.ForeignKey(
        "procedures.RequiredDocument",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
    )
    item = models.CharField(max_length=500, blank=True)
    file = models.FileField(upload_to="pending/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["token", "required_document"],
                condition=models.Q(item=""),
                name="one_pending_upload_per_slot",
            ),
            models.UniqueConstraint(
                fields=["token", "item"],
                condition=~models.Q(item=""),
                name="one_pending_upload_per_item",
            ),
            models.CheckConstraint(
                condition=~models.Q(item="") | models.Q(required_document__isnull=False),
                name="pending_upload_fills_a_slot",
            ),
        ]

    def __str__(self):
        return self.original_name


class Notification(models.Model):
    """A message to the applicant about one event, on one channel: sent at most once.

    The row is claimed (locked) while sending, so a retried task or the periodic catch-up never
    sends the same email or text twice; `attempts` and `last_error` show what went wrong.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    event = models.ForeignKey(DossierEvent, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(_("notification channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "channel"], name="one_notification_per_event_channel"
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return f"{self.get_channel_display()} — {self.event}"


# --- The public side after submission: lookup, rating, feedback -------------------------------


class LookupAttempt(models.Model):
    """A failed public lookup (dossier or feedback), kept 90 days for the admin to see abuse.

    Only failures are logged: what was typed as the code (truncated), never the second factor.
    """

    class Reason(models.TextChoices):
        UNKNOWN_CODE = "unknown_code", _("Unknown code")
        WRONG_FACTOR = "wrong_factor", _("Wrong phone number or lookup key")
        LOCKED = "locked", _("Refused: too many failures")

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    code_tried = models.CharField(_("code tried"), max_length=60, blank=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("failed lookup")
        verbose_name_plural = _("failed lookups")

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.ip_address} {self.get_reason_display()}"


class Rating(models.Model):
    """A citizen's rating of how their dossier was handled: once per dossier, never edited.

    The nine indicators are those Circular 01/2018/TT-VPCP art. 13 scores 0, 1 or 2 (after
    Decree 61/2018 art. 33). Checked against public copies — a provincial evaluation form built
    on the Circular (Tuyên Quang) and Decree 61's list as the Thừa Thiên Huế portal prints it:
    the names of indicators 1-7 and 9 and their order; the scores of 1-3 (2 = shorter than the
    rule / no contact, 1 = equal / once, 0 = longer / more than once) and the top score of 4
    (2 = no other agency; its 1 and 0 follow 3's pattern).
    Ours, unverified: indicator 8 (officers' attitude, which those portals ask beside the list),
    and every question and answer label below, written for citizens.
    The Circular scores indicator 9 from the office's online share (>= 30 % → 2, 15-30 % → 1);
    asked of a citizen it is their own experience of the online service, so leaders' figures
    compute the share from dossiers and read this one as the citizen's view.
    """

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("Citizen account")
        LOOKUP = "lookup", _("Public lookup")

    # (field, question, (label of 0, label of 1, label of 2)), in the Circular's order.
    INDICATORS = (
        (
            "total_time",
            _("How long did the whole procedure take, compared with the time the law allows?"),
            (
                _("Longer than allowed (late)"),
                _("As long as allowed (on time)"),
                _("Shorter than allowed (early)"),
            ),
        ),
        (
            "agency_time",
            _(
                "Did each office that worked on your dossier, including offices that helped, "
                "keep to its own time limit?"
            ),
            (
                _("Slower than its time limit"),
                _("Within its time limit"),
                _("Faster than its time limit"),
            ),
        ),
        (
            "contacts",
            _(
                "How many times did you have to contact the one-stop office to complete your "
                "dossier, online contacts included?"
            ),
            (
                _("More than once (not through my own mistake)"),
                _("Only once"),
                _("Not at all"),
            ),
        ),
        (
            "agencies_contacted",
            _(
                "How many other offices or organisations did you have to contact to complete "
                "your dossier, online included?"
            ),
            (_("More than one other office"), _("One other office"), _("No other office")),
        ),
        (
            "one_stop",
            _(
                "Were your papers received, processed and the result returned through the "
                "one-stop office, without going from desk to desk?"
            ),
            (
                _("No, I had to go to other desks or offices"),
                _("Partly"),
                _("Yes, everything through the one-stop office"),
            ),
        ),
        (
            "publicity",
            _("Were the procedure's papers, fees and time limit published clearly?"),
            (
                _("Not published"),
                _("Published, but incomplete or unclear"),
                _("Published completely and clearly"),
            ),
        ),
        (
            "feedback_handling",
            _("If you made a complaint or a suggestion about this procedure, how was it handled?"),
            (
                _("Not answered, or answered late"),
                _("Answered, but not fully"),
                _("Answered fully and on time, or I made none"),
            ),
        ),
        (
            "staff_attitude",
            _("How did the officers treat you?"),
            (
                _("They bothered me, made difficulties or asked for money"),
                _("Acceptably"),
                _("Courteously and helpfully"),
            ),
        ),
        (
            "online_service",
            _(
                "Could you use the online public service for this procedure (to submit, follow "
                "the dossier or receive the result)?"
            ),
            (_("No, or it did not work"), _("Partly"), _("Yes, fully")),
        ),
    )
    FIELDS = tuple(field for field, _question, _labels in INDICATORS)

    dossier = models.OneToOneField(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="rating"
    )
    total_time = models.PositiveSmallIntegerField(_("1. total time"))
    agency_time = models.PositiveSmallIntegerField(_("2. time of each office"))
    contacts = models.PositiveSmallIntegerField(_("3. contacts to complete the dossier"))
    agencies_contacted = models.PositiveSmallIntegerField(_("4. other offices contacted"))
    one_stop = models.PositiveSmallIntegerField(_("5. through the one-stop office"))
    publicity = models.PositiveSmallIntegerField(_("6. publicity of the procedure"))
    feedback_handling = models.PositiveSmallIntegerField(_("7. complaints handled"))
    staff_attitude = models.PositiveSmallIntegerField(_("8. officers' attitude"))
    online_service = models.PositiveSmallIntegerField(_("9. online service"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("rated through"), max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(_("rated"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    total_time__lte=2,
                    agency_time__lte=2,
                    contacts__lte=2,
                    agencies_contacted__lte=2,
                    one_stop__lte=2,
                    publicity__lte=2,
                    feedback_handling__lte=2,
                    staff_attitude__lte=2,
                    online_service__lte=2,
                ),
                name="rating_scores_0_to_2",
            )
        ]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self):
        return f"{self.dossier} — {self.total}/18"

    @property
    def total(self):
        return sum(getattr(self, field) for field in self.FIELDS)


class Feedback(models.Model):
    """Phản ánh, kiến nghị: a citizen's complaint or proposal about procedures or officers.

    It may be anonymous. The sender follows the answer with the code and their phone number,
    or with the lookup key shown once after sending.
    """

    class Category(models.TextChoices):
        PROCEDURE = "procedure", _("Administrative procedures")
        CONDUCT = "conduct", _("Officers' attitude and manner")
        HARASSMENT = (
            "harassment",
            _("Bothering, harassment, or requests for money not required by law"),
        )
        OTHER = "other", _("Other proposals and petitions")

    code = models.CharField(_("feedback code"), max_length=20, unique=True)
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    category = models.CharField(_("about"), max_length=20, choices=Category.choices)
    content = models.TextField(_("content"))
    dossier_code = models.CharField(_("dossier code mentioned"), max_length=40, blank=True)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    sender_phone = models.CharField(_("sender's phone"), max_length=20, blank=True)
    sender_email = models.EmailField(_("sender's email"), blank=True)
    lookup_key = models.CharField(_("lookup key"), max_length=12, default=_lookup_key)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # When the sender was told of the answer, on each channel they left: told once on each.
    answer_emailed_at = models.DateTimeField(_("answer emailed"), null=True, blank=True)
    answer_texted_at = models.DateTimeField(_("answer sent by text message"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agency", "answered_at"])]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self):
        return self.code

    @property
    def is_flagged(self):
        """Harassment or money asked for: what the commune's reform report must catch."""
        return self.category == self.Category.HARASSMENT


class FeedbackCodeCounter(models.Model):
    """The last feedback sequence number issued per day (dossiers.lookup.issue_feedback_code)."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day:%d/%m/%Y}: {self.last}"


# --- Leaders' statistics (dossiers.statistics) ------------------------------------------------


class DossierFigures(models.Model):
    """What one dossier contributes to the leaders' figures: its dimensions and its dates.

    Kept by dossiers.statistics in the same transaction as each action; every figure of a period
    is one aggregate over the rows active in it (see that module for why one row per dossier).
    Dates are Vietnam dates. `active_from`/`active_until` bound the days the dossier counts in
    any figure, so a period's query skips dossiers finished long before it.
    """

    OPEN_UNTIL = date(9999, 12, 31)

    dossier = models.OneToOneField(
        Dossier, primary_key=True, on_delete=models.CASCADE, related_name="figures"
    )
    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.CASCADE, related_name="+"
    )
    sector = models.ForeignKey(
        "procedures.Sector", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    channel = models.CharField(max_length=10)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    received_on = models.DateField(null=True)
    due_on = models.DateField(null=True, help_text="The promised due date (before any Form 04).")
    finished_on = models.DateField(null=True)
    outcome = models.CharField(max_length=20, blank=True)
    timeliness = models.CharField(max_length=10, blank=True)
    returned_on = models.DateField(null=True)
    active_from = models.DateField()
    active_until = models.DateField()

    class Meta:
        indexes = [
            models.Index(fields=["agency", "active_until", "active_from"]),
            models.Index(fields=["active_until", "active_from"]),
            # The dossiers open now: what the monthly sums leave to be read row by row.
            models.Index(
                fields=["received_on"],
                condition=models.Q(finished_on__isnull=True),
                name="figures_open_received",
            ),
        ]

    def __str__(self):
        return f"{self.dossier_id}: {self.received_on} → {self.finished_on or '…'}"


class FiguresMonth(models.Model):
    """Sums of the DossierFigures rows per agency, sector, procedure, channel, officer and month.

    Written only by inserting: each action adds a row of differences (the dossier's new
    contribution minus its old one), so actions never wait for each other on a shared sum, and
    a background task folds the rows of one key into one (dossiers.statistics.compact_months).
    A figure is always the SUM over every row of its key, compacted or not.

    Flows count in the month of their own date (received, resolved by timeliness, returned,
    refused, withdrawn, stopped). `open_at_end` / `overdue_at_end` count the finished dossiers
    that were in progress (and past their promised due date) at the end of the month; dossiers
    still open are read from their own rows (dossiers.statistics explains why). Ratings count
    in the month they were given, under the rated dossier's agency, sector, ... officer.
    """

    COLUMNS = (
        "received",
        "resolved",
        "resolved_early",
        "resolved_on_time",
        "resolved_late",
        "returned",
        "refused",
        "withdrawn",
        "stopped",
        "open_at_end",
        "overdue_at_end",
        "ratings",
        *(f"rating_{name}" for name in Rating.FIELDS),
    )

    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    sector = models.ForeignKey(
        "procedures.Sector", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    month = models.DateField(help_text="The first day of the month.")
    received = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    resolved_early = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolved_late = models.IntegerField(default=0)
    returned = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    stopped = models.IntegerField(default=0)
    open_at_end = models.IntegerField(default=0)
    overdue_at_end = models.IntegerField(default=0)
    # Ratings given in the month, and the sum of each indicator's scores (Rating.FIELDS).
    ratings = models.IntegerField(default=0)
    rating_total_time = models.IntegerField(default=0)
    rating_agency_time = models.IntegerField(default=0)
    rating_contacts = models.IntegerField(default=0)
    rating_agencies_contacted = models.IntegerField(default=0)
    rating_one_stop = models.IntegerField(default=0)
    rating_publicity = models.IntegerField(default=0)
    rating_feedback_handling = models.IntegerField(default=0)
    rating_staff_attitude = models.IntegerField(default=0)
    rating_online_service = models.IntegerField(default=0)
    # False for a row of differences an action added, True for a key's folded sum.
    folded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["month", "agency"]),
            models.Index(fields=["agency", "month"]),
            models.Index(fields=["id"], condition=models.Q(folded=False), name="figures_unfolded"),
        ]

    def __str__(self):
        return f"{self.agency_id} {self.month:%Y-%m}"


class MonthlyReport(models.Model):
    """A month's report of an agency, emailed to its leaders once: the row is the proof."""

    agency = models.ForeignKey("procedures.Agency", on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month reported.")
    pdf = models.FileField(upload_to="reports/%Y/", max_length=300, blank=True)
    recipients = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "month"], name="one_report_per_agency_month")
        ]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")

    def __str__(self):
        return f"{self.agency_id} {self.month:%m/%Y}"


# --- Reminders to officers (dossiers.reminders) and the record of periodic work ---------------


class Reminder(models.Model):
    """A reminder to an officer, recorded BEFORE it is sent, under a unique key.

    The key is (recipient, reason, dossier) for a message about one dossier (it became overdue;
    the last working day to issue Form 04 has come) and (recipient, reason, day) for the
    morning digest. A retried task or a second beat process finds the row and sends nothing
    more; the row is locked while sending. A recipient without an email address is recorded as
    delivered to the web page only (`email` empty): the "Cần chú ý" page lists the same dossiers.
    """

    class Reason(models.TextChoices):
        DIGEST = "digest", _("Morning digest")
        OVERDUE = "overdue", _("Dossier became overdue")
        APOLOGY_WINDOW = "apology_window", _("Last working day to issue Form 04")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    dossier = models.ForeignKey(
        Dossier,
        verbose_name=_("dossier"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reminders",
    )
    day = models.DateField(_("digest of"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "reason", "dossier"],
                condition=models.Q(dossier__isnull=False),
                name="one_reminder_per_dossier_recipient_reason",
            ),
            models.UniqueConstraint(
                fields=["recipient", "reason", "day"],
                condition=models.Q(day__isnull=False),
                name="one_digest_per_recipient_day",
            ),
            models.CheckConstraint(
                condition=models.Q(dossier__isnull=True, day__isnull=False)
                | models.Q(dossier__isnull=False, day__isnull=True),
                name="reminder_about_a_dossier_or_a_day",
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient"],
                condition=models.Q(sent_at__isnull=True),
                name="reminder_pending",
            )
        ]
        verbose_name = _("reminder to an officer")
        verbose_name_plural = _("reminders to officers")

    def __str__(self):
        about = self.day.strftime("%d/%m/%Y") if self.day else str(self.dossier)
        return f"{self.get_reason_display()} — {about} → {self.recipient}"


class PeriodicRun(models.Model):
    """The last run of each periodic task, for the admin's page of background work."""

    name = models.CharField(_("task"), max_length=100, unique=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    summary = models.TextField(_("result"), blank=True)

    class Meta:
        ordering = ["name"]
        # The admin shows its list as the page of background work (dossiers.background_admin).
        verbose_name = _("background work")
        verbose_name_plural = _("background work")

    def __str__(self):
        return self.name
