"""factory_boy factories for every app, shared by all tests."""

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from dossiers.models import Dossier
from dossiers.workflow import Status
from myphong.models import Profile
from myphong.roles import STAFF as STAFF_ROLES
from procedures.models import Agency, Procedure, RequiredDocument, Sector


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"linh-vuc-{n}")
    name = factory.Sequence(lambda n: f"Lĩnh vực {n}")


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = "000.17.22.H56"
    name = "UBND xã Mỹ Phong"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure

    code = factory.Sequence(lambda n: f"1.{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Thủ tục số {n}")
    sector = factory.SubFactory(SectorFactory)
    agency = factory.SubFactory(AgencyFactory)
    processing_time = Decimal("3")
    processing_time_unit = Procedure.TimeUnit.WORKING_DAY
    fee = 0


class RequiredDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredDocument

    procedure = factory.SubFactory(ProcedureFactory)
    name = factory.Sequence(lambda n: f"Giấy tờ {n}")
    originals = 1
    copies = 0


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nguoidung{n}")
    first_name = "Lan"
    last_name = "Nguyễn Thị"
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.invalid")
    password = factory.PostGenerationMethodCall("set_password", "mat-khau-dai-2026")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        """Staff work for an agency: the default one unless the test gives `agency=`."""
        if create and extracted:
            # get_or_create: a transactional test's flush removes the migration-made groups.
            self.groups.add(*(Group.objects.get_or_create(name=name)[0] for name in extracted))
            if set(extracted) & set(STAFF_ROLES):
                agency = kwargs.get("agency") or AgencyFactory()
                Profile.objects.update_or_create(user=self, defaults={"agency": agency})
        if create:
            self.save()


class DossierFactory(factory.django.DjangoModelFactory):
    """A dossier waiting for reception; services move it on (never set `status` by hand)."""

    class Meta:
        model = Dossier

    procedure = factory.SubFactory(ProcedureFactory)
    agency = factory.LazyAttribute(lambda d: d.procedure.agency)
    channel = Dossier.Channel.ONLINE
    status = Status.SUBMITTED
    applicant_name = "Nguyễn Thị Hoa"
    applicant_phone = "0912345678"
    applicant_id_number = "079190000001"
    applicant_email = "hoa@example.invalid"
    applicant_address = "Ấp Mỹ Phong, xã Mỹ Phong"
    submitted_at = factory.LazyFunction(timezone.now)
