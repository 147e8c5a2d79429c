"""The statistics page's period picker and filters, read from the query string."""

from datetime import date, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from myphong import roles
from procedures.models import Agency, Procedure, Sector

from .. import deadlines, statistics
from ..models import Dossier
from ..selectors import staff_agency
from .office import date_widget

PERIODS = (
    ("month", _("Month")),
    ("quarter", _("Quarter")),
    ("first_months", _("First months of the year")),
    ("year", _("Year")),
    ("range", _("From … to …")),
)
LONGEST_PERIOD = timedelta(days=3 * 366)


def sees_all_agencies(user):
    """A superuser or a province agency's leader compares every agency; others see their own."""
    if user.is_superuser:
        return True
    agency = staff_agency(user)
    return agency is not None and agency.level == Agency.Level.PROVINCE


def visible_agencies(user):
    """The agency ids whose figures `user` may read: None for all, () for none."""
    if sees_all_agencies(user):
        return None
    agency = staff_agency(user)
    return (agency.pk,) if agency is not None and roles.has_role(user, roles.LEADER) else ()


def period_bounds(kind, year, month=1, quarter=1, months=12):
    """The first and last day of a period of `kind` (see PERIODS, except "range")."""
    if kind == "month":
        start = date(year, month, 1)
        return start, statistics.months_of(start, date(year, month, 28) + timedelta(days=4))[0][1]
    if kind == "quarter":
        start = date(year, 3 * quarter - 2, 1)
        last_month = date(year, 3 * quarter, 1)
    elif kind == "first_months":
        start = date(year, 1, 1)
        last_month = date(year, months, 1)
    else:
        start, last_month = date(year, 1, 1), date(year, 12, 1)
    end = (last_month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


class StatisticsForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, initial="month")
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=int,
        choices=[(m, f"{m:02d}") for m in range(1, 13)],
        required=False,
    )
    quarter = forms.TypedChoiceField(
        label=_("Quarter"),
        coerce=int,
        choices=[(q, q) for q in (1, 2, 3, 4)],
        required=False,
    )
    months = forms.TypedChoiceField(
        label=_("Number of months"),
        coerce=int,
        choices=[(m, m) for m in range(1, 13)],
        required=False,
    )
    start = forms.DateField(label=_("From"), widget=date_widget(), required=False)
    end = forms.DateField(label=_("To"), widget=date_widget(), required=False)
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.all(), required=False, empty_label=_("All")
    )
    sector = forms.ModelChoiceField(
        label=_("Sector"), queryset=Sector.objects.all(), required=False, empty_label=_("All")
    )
    procedure = forms.ModelChoiceField(
        label=_("Procedure"),
        queryset=Procedure.objects.order_by("code"),
        required=False,
        empty_label=_("All"),
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All")), *Dossier.Channel.choices], required=False
    )
    officer = forms.TypedChoiceField(
        label=_("Officer"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, data, user):
        today = timezone.localdate(timezone=deadlines.TZ)
        initial = {"period": "month", "year": today.year, "month": today.month}
        merged = {**{k: str(v) for k, v in initial.items()}, **data.dict()} if data else initial
        super().__init__(merged)
        self.user = user
        self.agencies = visible_agencies(user)
        if self.agencies is not None:
            del self.fields["agency"]
            self.fields["procedure"].queryset = Procedure.objects.filter(
                agency_id__in=self.agencies
            ).order_by("code")
        staff = get_user_model().objects.filter(is_active=True, profile__agency__isnull=False)
        if self.agencies is not None:
            staff = staff.filter(profile__agency_id__in=self.agencies)
        self.fields["officer"].choices = [
            ("", _("All")),
            (statistics.UNASSIGNED, _("Not assigned")),
            *(
                (u.pk, f"{u.last_name} {u.first_name}".strip() or u.username)
                for u in staff.order_by("username")
            ),
        ]

    def clean(self):
        cleaned = super().clean()
        kind, year = cleaned.get("period"), cleaned.get("year")
        if kind == "range":
            start, end = cleaned.get("start"), cleaned.get("end")
            if not (start and end):
                raise ValidationError(_("Enter the first and the last day of the period."))
        elif kind and year:
            start, end = period_bounds(
                kind,
                year,
                month=cleaned.get("month") or 1,
                quarter=cleaned.get("quarter") or 1,
                months=cleaned.get("months") or 12,
            )
        else:
            return cleaned
        if start > end:
            raise ValidationError(_("The first day must not be after the last day."))
        if end - start > LONGEST_PERIOD:
            raise ValidationError(_("Choose a period of at most three years."))
        cleaned["bounds"] = (start, end)
        return cleaned

    def scope(self):
        data = self.cleaned_data
        agencies = self.agencies
        if agencies is None and data.get("agency") is not None:
            agencies = (data["agency"].pk,)
        return statistics.Scope(
            agencies=agencies,
            sector=data["sector"].pk if data.get("sector") else None,
            procedure=data["procedure"].pk if data.get("procedure") else None,
            channel=data.get("channel") or None,
            officer=data.get("officer"),
        )

    def reported_agency(self):
        """The one agency the figures are about, when there is one (for titles and the PDF)."""
        scope = self.scope()
        if scope.agencies is not None and len(scope.agencies) == 1:
            return Agency.objects.filter(pk=scope.agencies[0]).first()
        return None

    def query(self, **overrides):
        """The query string of this form, with `overrides` (None removes a key)."""
        params = {
            key: value for key, value in self.data.items() if key in self.fields and value != ""
        }
        for key, value in overrides.items():
            if value is None:
                params.pop(key, None)
            else:
                params[key] = value
        return params
