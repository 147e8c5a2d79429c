"""Last month's report, emailed to each agency's leaders on the first working day of the month.

The province expects the figures every month without anyone counting by hand. Celery beat runs
`send_monthly_reports` every morning; it does something only on the first working day of a month
(of the working calendar, so 2 January when 1 January is a holiday). A `MonthlyReport` row per
agency and month, locked while the mail goes out, is the proof it was sent: a task that runs twice,
or two beat processes, send it once. A report whose mail failed stays unsent and is sent by the next
morning's run.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from myphong import roles
from procedures.models import Agency

from . import deadlines, statistics
from .models import MonthlyReport
from .printing import statistics as report_files

log = logging.getLogger(__name__)


def first_working_day(month_start, calendar=None):
    """The first working day on or after the first of the month."""
    calendar = calendar or deadlines.default_calendar()
    day = month_start
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def previous_month(today):
    """(first day, last day) of the month before `today`'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def leader_addresses(agency):
    """The email addresses of the agency's active leaders."""
    leaders = get_user_model().objects.filter(
        is_active=True, groups__name=roles.LEADER, profile__agency=agency
    )
    return sorted({email for email in leaders.values_list("email", flat=True) if email})


def send_monthly_reports(today: date | None = None) -> int:
    """Send last month's report to each agency's leaders, once; returns how many were sent."""
    today = today or timezone.localdate()
    if today != first_working_day(today.replace(day=1)):
        return 0
    start, end = previous_month(today)
    sent = 0
    for agency in Agency.objects.order_by("pk"):
        recipients = leader_addresses(agency)
        if recipients and _send_once(agency, start, end, recipients):
            sent += 1
    return sent


def _send_once(agency, start, end, recipients):
    MonthlyReport.objects.get_or_create(agency=agency, month=start)
    with transaction.atomic():
        row = MonthlyReport.objects.select_for_update().get(agency=agency, month=start)
        if row.sent_at is not None:
            return False
        scope = statistics.Scope(agencies=(agency.pk,))
        report = statistics.report(scope, start, end, agency=agency)
        name = f"bao-cao-{agency.code}-{start:%Y-%m}.pdf"
        if not row.pdf:
            row.pdf.save(name, ContentFile(report_files.report_pdf(report)), save=False)
        with row.pdf.open("rb") as pdf:
            content = pdf.read()
        message = EmailMessage(
            f"Báo cáo tình hình giải quyết TTHC tháng {start:%m/%Y} — {agency.name}",
            (
                f"Kính gửi lãnh đạo {agency.name},\n\n"
                f"Đính kèm là báo cáo tình hình tiếp nhận và giải quyết thủ tục hành chính "
                f"tháng {start:%m/%Y} (từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}), do cổng dịch vụ "
                f"công tự động lập từ sổ theo dõi hồ sơ.\n\n"
                "Số liệu chi tiết, theo lĩnh vực và cán bộ: "
                f"{settings.PORTAL_BASE_URL}/xu-ly/thong-ke/\n\n"
                "Đây là thư gửi tự động, xin không trả lời thư này.\n"
            ),
            settings.DEFAULT_FROM_EMAIL,
            recipients,
            headers={"Auto-Submitted": "auto-generated"},
        )
        message.attach(name, content, "application/pdf")
        message.send()
        row.recipients = ", ".join(recipients)
        row.sent_at = timezone.now()
        row.save(update_fields=["pdf", "recipients", "sent_at"])
    log.info("monthly report %s of agency %s sent to %s", start, agency.code, len(recipients))
    return True
