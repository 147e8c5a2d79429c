"""Load the demo catalogue and demo staff accounts. Safe to run again: it changes nothing then."""

import json
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dossiers import demo
from myphong import roles
from myphong.models import Profile
from procedures.catalogue_io import import_catalogue
from procedures.models import Agency, Sector

DATA = Path(__file__).resolve().parents[2] / "data" / "demo_catalogue.json"

# Demo only: printed on screen by `make run`; a deployment creates its own accounts.
DEMO_ACCOUNTS = [
    # username, full name, role, password
    ("admin", "Quản trị Hệ thống", None, "admin-myphong-2026"),
    ("tiepnhan", "Nguyễn Thị Lan", roles.CLERK, "tiepnhan-2026"),
    ("chuyenvien", "Trần Văn Minh", roles.SPECIALIST, "chuyenvien-2026"),
    ("lanhdao", "Lê Quang Hải", roles.LEADER, "lanhdao-2026"),
    ("congdan@example.invalid", "Nguyễn Thị Hoa", roles.CITIZEN, "congdan-2026"),
]


class Command(BaseCommand):
    help = "Load the demo catalogue and the demo staff accounts (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (a demonstration server, a benchmark database).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            # The demo accounts have published passwords: never in production by accident.
            raise CommandError(
                "seed_demo creates accounts with published passwords and runs only with "
                "DEBUG=1 (as `make run` does). Add --force to seed anyway."
            )
        data = json.loads(DATA.read_text(encoding="utf-8"))
        with transaction.atomic():
            for agency in data["agencies"]:
                Agency.objects.update_or_create(code=agency["code"], defaults=agency)
            for sector in data["sectors"]:
                Sector.objects.update_or_create(code=sector["code"], defaults=sector)
            rows = [(number, self._row(p)) for number, p in enumerate(data["procedures"], 1)]
            result = import_catalogue(rows)
            agency = Agency.objects.get(code=data["agencies"][0]["code"])
            created_users = self._accounts(agency)
            dossiers = demo.seed(agency)
        self.stdout.write(
            f"Danh mục: {len(data['sectors'])} lĩnh vực, {len(result.codes)} thủ tục "
            f"({result.created} mới, {result.updated} cập nhật)."
        )
        self.stdout.write(f"Hồ sơ mẫu: {dossiers} hồ sơ mới.")
        self.stdout.write("Tài khoản mẫu (tên đăng nhập / mật khẩu / vai trò):")
        for username, full_name, role, password in DEMO_ACCOUNTS:
            mark = " (mới tạo)" if username in created_users else ""
            label = str(roles.LABELS[role]) if role else "Quản trị"
            self.stdout.write(f"  {username:<24} {password:<20} {label:<17} {full_name}{mark}")

    @staticmethod
    def _row(procedure):
        row = {k: v for k, v in procedure.items() if k != "channels"}
        row["channels"] = ",".join(procedure.get("channels", ["counter"]))
        row["fee"] = str(procedure.get("fee", 0))
        return row

    @staticmethod
    def _accounts(agency):
        """Create missing demo accounts; never touch an existing account's password."""
        User = get_user_model()
        created = set()
        for username, full_name, role, password in DEMO_ACCOUNTS:
            last, _sep, first = full_name.rpartition(" ")
            user, was_created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "is_staff": role is None,
                    "is_superuser": role is None,
                    "email": username if "@" in username else f"{username}@example.invalid",
                },
            )
            if was_created:
                user.set_password(password)
                user.save(update_fields=["password"])
                created.add(username)
            if role:
                user.groups.add(Group.objects.get(name=role))
            if role == roles.CITIZEN:
                Profile.objects.get_or_create(user=user, defaults={"phone": "0912345678"})
            elif role:
                Profile.objects.get_or_create(user=user, defaults={"agency": agency})
        return created
