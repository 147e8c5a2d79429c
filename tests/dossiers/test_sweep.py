import os
from datetime import timedelta
from uuid import uuid4

from django.core.files.base import ContentFile
from django.utils import timezone
from freezegun import freeze_time

from dossiers import tasks
from dossiers.models import PendingUpload
from tests.factories import RequiredDocumentFactory, UserFactory


def pending(user, document):
    upload = PendingUpload(
        token=uuid4(),
        user=user,
        required_document=document,
        original_name="giay-chung-sinh.pdf",
        size=12,
        content_type="application/pdf",
        sha256="0" * 64,
    )
    upload.file.save("giay-chung-sinh.pdf", ContentFile(b"%PDF-1.4 x"), save=False)
    upload.save()
    return upload


def test_files_of_forms_never_submitted_are_swept_after_a_day(db):
    user, document = UserFactory(), RequiredDocumentFactory()
    with freeze_time(timezone.now() - timedelta(days=2)):
        old = pending(user, document)
    fresh = pending(user, document)
    old_path = old.file.path
    assert tasks.sweep_pending_uploads() == 1
    assert list(PendingUpload.objects.all()) == [fresh]
    assert not os.path.exists(old_path)
