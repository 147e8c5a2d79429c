from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import catalogue_io
from .forms import CatalogueImportForm
from .models import Agency, Procedure, RequiredDocument, Sector


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    list_editable = ["order"]
    search_fields = ["name", "code"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent", "office_hours"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["order", "name", "originals", "copies", "is_required", "form_template"]


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "sector", "processing_time_display", "fee", "online_level"]
    list_filter = ["sector", "online_level", "is_active", "agency"]
    search_fields = ["code", "name", "search_text"]
    list_select_related = ["sector", "agency"]
    autocomplete_fields = ["agency"]
    inlines = [RequiredDocumentInline]
    actions = ["export_as_xlsx", "export_as_csv"]
    change_list_template = "admin/procedures/procedure/change_list.html"
    fieldsets = [
        (None, {"fields": ["code", "name", "sector", "agency", "level", "is_active"]}),
        (
            gettext_lazy("Submission"),
            {"fields": ["accepts_counter", "accepts_online", "accepts_post", "online_level"]},
        ),
        (
            gettext_lazy("Time and fees"),
            {
                "fields": [
                    "processing_time",
                    "processing_time_unit",
                    "processing_time_note",
                    "supplement_rule",
                    "fee",
                    "fee_note",
                    "fee_paid_at_submission",
                ]
            },
        ),
        (
            gettext_lazy("Details"),
            {
                "fields": [
                    "applicants",
                    "steps",
                    "conditions",
                    "shown_documents",
                    "result",
                    "legal_basis",
                    "note",
                ]
            },
        ),
    ]

    @admin.display(description=gettext_lazy("processing time"))
    def processing_time_display(self, obj):
        return obj.processing_time_display

    def get_search_results(self, request, queryset, search_term):
        # The folded search column lets "dang ky khai sinh" find "Đăng ký khai sinh" here too.
        from .text import fold

        return super().get_search_results(request, queryset, fold(search_term) or search_term)

    def get_urls(self):
        extra = [
            path(
                "nhap/",
                self.admin_site.admin_view(self.import_view),
                name="procedures_procedure_import",
            ),
            path(
                "xuat/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name="procedures_procedure_export",
            ),
        ]
        return extra + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            return redirect("admin:procedures_procedure_changelist")
        form = CatalogueImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = catalogue_io.read_rows(upload.read(), upload.name)
                result = catalogue_io.import_catalogue(rows)
            except catalogue_io.CatalogueImportError as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _(
                        "Imported: %(created)s new procedures, %(updated)s updated, "
                        "%(unchanged)s unchanged."
                    )
                    % {
                        "created": result.created,
                        "updated": result.updated,
                        "unchanged": result.unchanged,
                    },
                )
                return redirect("admin:procedures_procedure_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import the catalogue"),
            "form": form,
            "errors": errors,
            "columns": catalogue_io.COLUMNS,
        }
        return TemplateResponse(request, "admin/procedures/procedure/import.html", context)

    def export_view(self, request, fmt):
        return self._export(self.get_queryset(request), fmt)

    @admin.action(description=gettext_lazy("Export selected procedures as XLSX"))
    def export_as_xlsx(self, request, queryset):
        return self._export(queryset, "xlsx")

    @admin.action(description=gettext_lazy("Export selected procedures as CSV"))
    def export_as_csv(self, request, queryset):
        return self._export(queryset, "csv")

    def _export(self, queryset, fmt):
        stamp = timezone.localtime().strftime("%Y%m%d")
        if fmt == "xlsx":
            body = catalogue_io.export_xlsx(queryset)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            fmt = "csv"
            body = catalogue_io.export_csv(queryset)
            content_type = "text/csv; charset=utf-8"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="thu-tuc-{stamp}.{fmt}"'
        return response
