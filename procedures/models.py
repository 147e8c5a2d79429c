"""The public catalogue of administrative procedures (Decree 63/2010 art. 8)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .text import fold


class Sector(models.Model):
    """Lĩnh vực: Hộ tịch, Chứng thực, Đất đai…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self):
        return self.name


class Agency(models.Model):
    """Cơ quan: the commune's People's Committee, a province department…

    Office hours are kept per agency because the deadline engine counts working time with them.
    """

    class Level(models.TextChoices):
        COMMUNE = "commune", _("Commune")
        PROVINCE = "province", _("Province")
        CENTRAL = "central", _("Central")

    code = models.CharField(
        _("national identifier code"),
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                r"^[0-9A-Z]{3}(\.[0-9A-Z]{2,3}){1,3}$",
                _("Use the national identifier format, for example 000.17.22.H56."),
            )
        ],
        help_text=_("Printed in every dossier code, for example 000.17.22.H56."),
    )
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(
        _("level"), max_length=20, choices=Level.choices, default=Level.COMMUNE
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    office_hours = models.CharField(
        _("office hours"),
        max_length=100,
        default="07:00-11:30,13:30-17:00",
        help_text=_("Working periods of a working day, for example 07:00-11:30,13:30-17:00."),
    )
    working_weekdays = models.CharField(
        _("working weekdays"),
        max_length=20,
        default="1,2,3,4,5",
        help_text=_("ISO weekday numbers, Monday = 1 … Sunday = 7."),
    )

    class Meta:
        ordering = ["level", "name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self):
        return self.name


class Procedure(models.Model):
    """Thủ tục hành chính, with every field Decree 63/2010 art. 8 asks to publish."""

    class TimeUnit(models.TextChoices):
        WORKING_DAY = "working_day", _("working days")
        WORKING_HOUR = "working_hour", _("working hours")
        SAME_DAY = "same_day", _("in the day")
        # "ngày" alone: counted by the Civil Code (arts. 144-148), see dossiers.calendar.engine.
        CALENDAR_DAY = "calendar_day", _("calendar days")

    class SupplementRule(models.TextChoices):
        # Decree 61/2018 art. 17(1)(c) as recalled: the time already spent counts (PORTAL.md).
        PAUSE = "pause", _("the legal time pauses and resumes")
        RESTART = "restart", _("the legal time restarts from zero")

    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Fully online")
        PARTIAL = "partial", _("Partly online")
        NONE = "none", _("Not online")

    class Level(models.TextChoices):
        COMMUNE = "commune", _("Commune level")
        PROVINCE = "province", _("Province level")
        CENTRAL = "central", _("Central level")

    code = models.CharField(
        _("procedure code"),
        max_length=30,
        unique=True,
        validators=[
            RegexValidator(r"^[0-9]\.[0-9]{6}(\.[0-9A-Z.]+)?$", _("For example 1.001193."))
        ],
    )
    name = models.CharField(_("name"), max_length=400)
    sector = models.ForeignKey(
        Sector, verbose_name=_("sector"), on_delete=models.PROTECT, related_name="procedures"
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("implementing agency"),
        on_delete=models.PROTECT,
        related_name="procedures",
    )
    level = models.CharField(
        _("level"), max_length=20, choices=Level.choices, default=Level.COMMUNE
    )
    steps = models.TextField(_("steps"), blank=True)
    accepts_counter = models.BooleanField(_("at the counter"), default=True)
    accepts_online = models.BooleanField(_("online"), default=False)
    accepts_post = models.BooleanField(_("by post"), default=False)
    processing_time = models.DecimalField(
        _("processing time"),
        max_digits=6,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text=_("Amount of the unit below; ignored for 'in the day'."),
    )
    processing_time_unit = models.CharField(
        _("processing time unit"),
        max_length=20,
        choices=TimeUnit.choices,
        default=TimeUnit.WORKING_DAY,
    )
    processing_time_note = models.CharField(_("processing time note"), max_length=300, blank=True)
    supplement_rule = models.CharField(
        _("after a supplement request"),
        max_length=10,
        choices=SupplementRule.choices,
        blank=True,
        help_text=_(
            "Empty: follow the portal's setting (DEADLINE_SUPPLEMENT_RULE). Choose a rule only "
            "when this procedure's own law says so."
        ),
    )
    applicants = models.TextField(_("who may apply"), blank=True)
    result = models.TextField(_("result"), blank=True)
    fee = models.PositiveIntegerField(
        _("fee (VND)"), default=0, help_text=_("The usual amount, in đồng; 0 when free.")
    )
    fee_note = models.TextField(_("fees and charges"), blank=True)
    fee_paid_at_submission = models.BooleanField(
        _("fee paid at submission"),
        default=False,
        help_text=_(
            "The fee is paid when the dossier is handed in: processing is never paused to ask "
            "for it."
        ),
    )
    shown_documents = models.TextField(
        _("papers shown at the counter"),
        blank=True,
        help_text=_(
            "Papers the applicant shows but does not hand in (xuất trình), one per line, for "
            "example the identity card."
        ),
    )
    conditions = models.TextField(_("conditions"), blank=True)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    online_level = models.CharField(
        _("online service level"),
        max_length=20,
        choices=OnlineLevel.choices,
        default=OnlineLevel.NONE,
    )
    note = models.TextField(
        _("note"), blank=True, help_text=_("Where a figure is uncertain, say so here.")
    )
    is_active = models.BooleanField(_("published"), default=True)
    search_text = models.TextField(editable=False, default="")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["sector__order", "sector__name", "name"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self):
        return f"{self.code} {self.name}"

    def save(self, *args, **kwargs):
        self.search_text = fold(f"{self.code} {self.name}")
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "search_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("procedures:detail", kwargs={"code": self.code})

    def clean(self):
        super().clean()
        amount = self.processing_time
        if (
            self.processing_time_unit == self.TimeUnit.CALENDAR_DAY
            and amount is not None
            and Decimal(amount) != Decimal(amount).to_integral_value()
        ):
            raise ValidationError(
                {"processing_time": _("Calendar days are counted in whole days.")}
            )

    @property
    def channels(self):
        """The ways a citizen may submit, as labels, in the order the office prefers."""
        names = []
        if self.accepts_counter:
            names.append(_("At the counter"))
        if self.accepts_online:
            names.append(_("Online"))
        if self.accepts_post:
            names.append(_("By post"))
        return names

    @property
    def processing_time_display(self):
        """ "5 working days", "4 working hours", "in the day", "30 calendar days": the one wording
        every page uses."""
        if self.processing_time_unit == self.TimeUnit.SAME_DAY:
            return gettext("In the day")
        amount = number_format(Decimal(self.processing_time).normalize(), use_l10n=True)
        if self.processing_time_unit == self.TimeUnit.WORKING_HOUR:
            return gettext("%(amount)s working hours") % {"amount": amount}
        if self.processing_time_unit == self.TimeUnit.CALENDAR_DAY:
            return gettext("%(amount)s calendar days") % {"amount": amount}
        return gettext("%(amount)s working days") % {"amount": amount}

    @property
    def shown_document_names(self):
        """The papers shown but not handed in ("xuất trình"), one per line of the catalogue."""
        return [line.strip() for line in self.shown_documents.splitlines() if line.strip()]

    @property
    def allows_online_submission(self):
        return self.is_active and self.accepts_online and self.online_level != self.OnlineLevel.NONE


class RequiredDocument(models.Model):
    """Thành phần hồ sơ: one paper the applicant brings, with how many originals and copies."""

    procedure = models.ForeignKey(
        Procedure,
        verbose_name=_("procedure"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    name = models.CharField(_("name"), max_length=500)
    originals = models.PositiveSmallIntegerField(_("originals"), default=1)
    copies = models.PositiveSmallIntegerField(_("copies"), default=0)
    is_required = models.BooleanField(_("required"), default=True)
    form_template = models.FileField(
        _("form template"),
        upload_to="public/forms/",
        blank=True,
        help_text=_("A blank form (mẫu đơn, tờ khai) citizens may download."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["procedure", "order", "id"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self):
        return self.name

    @property
    def asks_for_a_form(self):
        """The paper is to be written on a set form ("theo mẫu", "tờ khai", "đơn")."""
        words = fold(self.name)
        return "theo mau" in words or "to khai" in words or words.split()[:1] == ["don"]
