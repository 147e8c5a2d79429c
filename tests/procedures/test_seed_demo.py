import io

from django.contrib.auth import get_user_model
from django.core.management import call_command

from myphong import roles
from procedures.models import Procedure, Sector


def seed():
    out = io.StringIO()
    call_command("seed_demo", "--force", stdout=out)  # tests run with DEBUG off
    return out.getvalue()


def test_demo_catalogue_has_real_procedures_across_sectors(db):
    seed()
    assert Procedure.objects.count() >= 25
    assert Sector.objects.filter(procedures__isnull=False).distinct().count() >= 6
    khai_sinh = Procedure.objects.get(code="1.001193")
    assert "đăng ký khai sinh" in khai_sinh.name.lower()
    assert khai_sinh.documents.exists()
    assert Procedure.objects.filter(accepts_online=True).exists()


def test_demo_accounts_are_printed_with_roles_and_passwords(db):
    output = seed()
    User = get_user_model()
    for username, role in (
        ("tiepnhan", roles.CLERK),
        ("chuyenvien", roles.SPECIALIST),
        ("lanhdao", roles.LEADER),
    ):
        user = User.objects.get(username=username)
        assert roles.has_role(user, role)
        assert user.profile.agency is not None
        assert username in output
    assert User.objects.get(username="admin").is_superuser
    assert "tiepnhan-2026" in output
    assert "Cán bộ tiếp nhận" in output


def test_seeding_twice_changes_nothing(db):
    seed()
    before = list(Procedure.objects.order_by("code").values_list("code", "updated_at"))
    clerk = get_user_model().objects.get(username="tiepnhan")
    clerk.set_password("doi-mat-khau-2026")
    clerk.save()
    output = seed()
    after = list(Procedure.objects.order_by("code").values_list("code", "updated_at"))
    assert before == after
    assert "0 mới, 0 cập nhật" in output
    clerk.refresh_from_db()
    assert clerk.check_password("doi-mat-khau-2026")  # an existing password is never reset


def test_demo_dossiers_fill_every_queue(db):
    from django.utils import timezone

    from dossiers.models import Dossier
    from dossiers.workflow import Status

    output = seed()
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert statuses >= {
        Status.SUBMITTED,
        Status.RECEIVED,
        Status.IN_PROGRESS,
        Status.AWAITING_SUPPLEMENT,
        Status.AWAITING_PAYMENT,
        Status.TRANSFERRED,
        Status.RESOLVED,
        Status.RETURNED,
    }
    assert Dossier.objects.filter(
        status=Status.IN_PROGRESS, due_at__lt=timezone.now()
    ).exists()  # something overdue to look at
    returned = Dossier.objects.filter(status=Status.RETURNED).first()
    assert list(returned.events.values_list("action", flat=True)) == [
        "accept",
        "assign",
        "start",
        "record_result",
        "send_for_approval",
        "approve",
        "resolve",
        "return",
    ]
    assert "Hồ sơ mẫu: 21 hồ sơ mới" in output
    assert "Hồ sơ mẫu: 0 hồ sơ mới" in seed()
