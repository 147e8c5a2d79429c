"""Demo dossiers for `make run`: full queues in every state, made through the real services.

Each demo dossier is played through the services with the clock set back to the day it
happened, so its code, due time and history are what the office would have recorded. They are
dated relative to today, so the queues look alive whenever the demo starts. Seeding twice
changes nothing: each demo dossier has a fixed intake token.
"""

import uuid
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from procedures.models import Procedure

from . import clock, deadlines, services
from .models import Dossier

DEMO_CITIZEN = "congdan@example.invalid"
NAMESPACE = uuid.UUID("5b3f7e4e-6a55-4a4f-9f7b-0f2c6d1a9e10")
APPLICANTS = [
    ("Nguyễn Thị Hoa", "0912345678", "Ấp Mỹ Hòa"),
    ("Trần Văn Bình", "0987654321", "Ấp Mỹ Lợi"),
    ("Lê Thị Thu Hà", "0905123456", "Ấp Phong Thạnh"),
    ("Phạm Minh Tuấn", "0934567890", "Ấp Mỹ Phú"),
    ("Huỳnh Ngọc Ánh", "0918765432", "Ấp Mỹ Hòa"),
    ("Võ Thành Đạt", "0967123987", "Ấp Phong Thạnh"),
    ("Đặng Thị Mỹ Linh", "0976543210", "Ấp Mỹ Lợi"),
    ("Bùi Quốc Khánh", "0909876543", "Ấp Mỹ Phú"),
]
RECEIPT_HOURS = [8, 9, 10, 14, 15, 16, 7]
# (story, working days before today the dossier was received, procedure code)
STORIES = [
    ("returned_early", 18, "1.004884"),
    ("returned_early", 15, "1.004873"),
    ("returned_on_time", 14, "1.001022"),
    ("returned_early", 12, "1.010833"),
    ("returned_early", 10, "2.000815"),
    ("resolved", 9, "1.004859"),
    ("resolved", 6, "2.001035"),
    ("overdue", 12, "1.001022"),
    ("overdue", 9, "1.000689"),
    ("due_soon", 4, "1.004884"),
    ("due_soon", 2, "1.004837"),
    ("in_progress", 1, "1.004859"),
    ("in_progress", 0, "3.000722"),
    ("assigned", 0, "1.010833"),
    ("unassigned", 0, "2.000884"),
    ("unassigned", 0, "1.004873"),
    ("supplement", 1, "1.004884"),
    ("payment", 1, "2.001035"),
    ("transferred", 2, "1.001776"),
    ("submitted_online", 0, "1.001193"),
    ("submitted_online", 0, "1.004873"),
]


_at = clock.replaying_at


def _day_at(calendar, working_days_ago, hour):
    day = timezone.localdate()
    while working_days_ago > 0:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            working_days_ago -= 1
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def seed(agency):
    """Create the demo dossiers that are missing; returns how many were created."""
    User = get_user_model()
    clerk = User.objects.get(username="tiepnhan")
    specialist = User.objects.get(username="chuyenvien")
    leader = User.objects.get(username="lanhdao")
    procedures = {p.code: p for p in Procedure.objects.filter(agency=agency)}
    calendar = deadlines.default_calendar(agency)
    created = 0
    for number, (story, days_ago, code) in enumerate(STORIES):
        token = uuid.uuid5(NAMESPACE, f"{number}-{story}")
        procedure = procedures.get(code)
        if procedure is None or Dossier.objects.filter(intake_token=token).exists():
            continue
        name, phone, hamlet = APPLICANTS[number % len(APPLICANTS)]
        applicant = services.Applicant(
            name=name, phone=phone, address=f"{hamlet}, xã Mỹ Phong", email=""
        )
        received = _day_at(calendar, days_ago, RECEIPT_HOURS[number % len(RECEIPT_HOURS)])
        now = timezone.now()
        if received > now:
            received = now - timedelta(minutes=30)
        _play(story, procedure, applicant, token, received, clerk, specialist, leader, calendar)
        created += 1
    return created


def _play(story, procedure, applicant, token, received, clerk, specialist, leader, calendar):
    if story == "submitted_online":
        citizen = get_user_model().objects.get(username=DEMO_CITIZEN)
        with _at(received):
            services.submit_online(
                procedure, citizen, applicant=applicant, request=procedure.name, token=token
            )
        return
    papers = [
        services.PaperCount(
            name=d.name, originals=d.originals, copies=d.copies, required_document_id=d.pk
        )
        for d in procedure.documents.all()
        if d.is_required
    ]
    with _at(received):
        dossier = services.register_at_counter(
            procedure,
            clerk,
            applicant=applicant,
            papers=papers,
            request=procedure.name,
            token=token,
        )
    if story == "unassigned":
        return
    step = received + timedelta(minutes=20)
    with _at(step):
        services.assign(dossier, leader, specialist=specialist)
    if story == "assigned":
        return
    step += timedelta(minutes=40)
    with _at(step):
        services.start_processing(dossier, specialist)
    if story == "supplement":
        with _at(step + timedelta(minutes=30)):
            services.request_supplement(
                dossier,
                specialist,
                items=[
                    "Bản sao Giấy khai sinh có chứng thực",
                    "Tờ khai có chữ ký của người yêu cầu",
                ],
                reason="Thành phần hồ sơ chưa đầy đủ theo quy định.",
            )
        return
    if story == "payment":
        with _at(step + timedelta(minutes=30)):
            services.request_payment(dossier, specialist, amount=procedure.fee or 8000)
        return
    if story == "transferred":
        from procedures.models import Agency

        other = Agency.objects.exclude(pk=dossier.agency_id).first()
        if other is not None:
            with _at(step + timedelta(minutes=30)):
                services.transfer_to_agency(
                    dossier, specialist, agency=other, note="Xác minh thông tin"
                )
        return
    if story in ("in_progress", "overdue", "due_soon"):
        return
    dossier.refresh_from_db()
    finish = dossier.due_at - timedelta(days=2) if story == "returned_early" else dossier.due_at
    if story == "resolved":
        finish = min(dossier.due_at - timedelta(hours=4), timezone.now() - timedelta(hours=1))
    finish = max(finish, step + timedelta(hours=1))
    finish = calendar.next_opening(finish) if not calendar.is_office_hours(finish) else finish
    with _at(finish - timedelta(minutes=30)):
        services.record_result(
            dossier, specialist, number=f"{dossier.pk:03d}/KQ", summary=procedure.result[:200]
        )
        services.send_for_approval(dossier, specialist)
    with _at(finish - timedelta(minutes=10)):
        services.approve(dossier, leader)
    with _at(finish):
        services.mark_resolved(dossier, specialist)
    if story.startswith("returned"):
        with _at(finish + timedelta(hours=1)):
            services.mark_returned(
                dossier, clerk, collected_by=applicant.name, method=Dossier.ReturnMethod.COUNTER
            )
