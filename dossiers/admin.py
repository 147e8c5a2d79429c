from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from myphong.admin import ReadOnlyAdmin
from procedures.models import Procedure

from .calendar import changes as calendar_changes
from .calendar import year as calendar_year
from .calendar.engine import DayKind
from .models import CalendarException, CounterGuidance, Feedback, LookupAttempt, Rating

# Vietnamese write dates day first; the ISO form is what the admin's date picker inserts.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]


class CalendarExceptionForm(forms.ModelForm):
    date = forms.DateField(
        label=capfirst(CalendarException._meta.get_field("date").verbose_name),
        input_formats=DATE_INPUT_FORMATS,
        widget=AdminDateWidget(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy"}),
    )

    class Meta:
        model = CalendarException
        fields = ["date", "is_working_day", "note"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date") and "is_working_day" in cleaned:
            try:
                calendar_year.check_exception(cleaned["date"], cleaned["is_working_day"])
            except forms.ValidationError as error:
                self.add_error("is_working_day", error)
        return cleaned


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    form = CalendarExceptionForm
    list_display = ["date_display", "is_working_day", "note", "created_by", "created_at"]
    list_filter = ["is_working_day"]
    search_fields = ["note"]
    date_hierarchy = "date"
    change_list_template = "admin/dossiers/calendarexception_change_list.html"

    @admin.display(description=gettext_lazy("date"), ordering="date")
    def date_display(self, obj):
        return date_format(obj.date, "d/m/Y")

    # Every change goes through calendar_admin so the open dossiers it delays are moved.
    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        self._report_moved(request, calendar_changes.save_exception(obj))

    def delete_model(self, request, obj):
        self._report_moved(request, calendar_changes.delete_exceptions([obj]))

    def delete_queryset(self, request, queryset):
        self._report_moved(request, calendar_changes.delete_exceptions(queryset))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("lich/", view(self.this_year_view), name="dossiers_calendarexception_calendar"),
            path(
                "lich/<int:year>/",
                view(self.year_view),
                name="dossiers_calendarexception_year",
            ),
            *super().get_urls(),
        ]

    def this_year_view(self, request):
        year = timezone.localdate().year
        return redirect("admin:dossiers_calendarexception_year", year=year)

    def year_view(self, request, year):
        """Twelve months of the working calendar; add or remove an exception."""
        if not 2000 <= year <= 2100:
            raise Http404
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = CalendarExceptionForm()
        if request.method == "POST" and "remove" in request.POST:
            if not self.has_delete_permission(request):
                raise PermissionDenied
            exception = get_object_or_404(CalendarException, pk=request.POST["remove"])
            moved = calendar_changes.delete_exceptions([exception])
            self._report_moved(
                request,
                moved,
                _("Removed the exception of %(date)s.")
                % {"date": date_format(exception.date, "d/m/Y")},
            )
            return redirect("admin:dossiers_calendarexception_year", year=year)
        if request.method == "POST":
            if not self.has_add_permission(request):
                raise PermissionDenied
            form = CalendarExceptionForm(request.POST)
            if form.is_valid():
                exception = form.save(commit=False)
                exception.created_by = request.user
                moved = calendar_changes.save_exception(exception)
                self._report_moved(
                    request,
                    moved,
                    _("Saved the exception of %(date)s.")
                    % {"date": date_format(exception.date, "d/m/Y")},
                )
                return redirect("admin:dossiers_calendarexception_year", year=exception.date.year)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Working calendar %(year)s") % {"year": year},
            "year": year,
            "previous_year": year - 1,
            "next_year": year + 1,
            "months": calendar_year.year_view(year),
            "weekdays": [WEEKDAYS_ABBR[number] for number in range(7)],
            "exceptions": CalendarException.objects.filter(date__year=year),
            "kinds": [
                (DayKind.WORKING, _("Working day")),
                (DayKind.WEEKEND, _("Weekend")),
                (DayKind.HOLIDAY, _("Public holiday")),
                (DayKind.DAY_OFF, _("Extra day off (exception)")),
                (DayKind.MAKE_UP, _("Make-up working day")),
            ],
            "form": form,
            "media": self.media + form.media,
            "can_add": self.has_add_permission(request),
            "can_delete": self.has_delete_permission(request),
            "supplement_rule": Procedure.SupplementRule(settings.DEADLINE_SUPPLEMENT_RULE).label,
            "own_rule_procedures": Procedure.objects.exclude(supplement_rule="")
            .filter(is_active=True)
            .order_by("code")
            .values_list("code", "supplement_rule"),
        }
        return TemplateResponse(request, "admin/dossiers/calendar_year.html", context)

    def _report_moved(self, request, moved, done=""):
        count = len(moved)
        moved_text = ngettext(
            "%(count)d open dossier had its due date moved.",
            "%(count)d open dossiers had their due dates moved.",
            count,
        ) % {"count": count}
        self.message_user(request, f"{done} {moved_text}".strip(), messages.SUCCESS)


@admin.register(LookupAttempt)
class LookupAttemptAdmin(ReadOnlyAdmin):
    """Failed public lookups, to see abuse; kept 90 days (guard.forget_old_lookup_attempts)."""

    list_display = ["at", "ip_address", "code_tried", "reason", "user_agent"]
    list_filter = ["reason"]
    search_fields = ["code_tried", "ip_address"]
    date_hierarchy = "at"


@admin.register(CounterGuidance)
class CounterGuidanceAdmin(ReadOnlyAdmin):
    """Forms 02 and 03 given at the counter without a dossier: the record the office keeps."""

    list_display = ["created_at", "kind", "number", "year", "applicant_name", "procedure"]
    list_filter = ["kind", "agency"]
    list_select_related = ["procedure"]
    search_fields = ["applicant_name", "procedure__code"]
    date_hierarchy = "created_at"


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    """Citizens' ratings: the office reads them and never edits them."""

    list_display = ["dossier", "channel", "total", "created_at"]
    list_filter = ["channel"]
    list_select_related = ["dossier"]
    search_fields = ["dossier__code"]
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("total (out of 18)"))
    def total(self, obj):
        return obj.total


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    """Feedback is answered by leaders on their own page; here an admin can only read it and
    delete spam (a message that is not feedback at all)."""

    list_display = ["code", "category", "agency", "created_at", "answered_at"]
    list_filter = ["category", "agency", ("answered_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "content"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


from . import background_admin  # noqa: E402, F401  (registers the background-work page)
