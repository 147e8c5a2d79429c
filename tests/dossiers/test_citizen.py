"""The citizen's side: an account confirmed by email, online submission, own dossiers, files."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from dossiers import services, uploads
from dossiers.models import Attachment, Dossier, PendingUpload
from dossiers.workflow import Status
from myphong import roles
from myphong.models import Profile, person_name
from procedures.models import Procedure
from tests.dossiers.test_uploads import EXE, pdf_bytes, png_bytes
from tests.factories import AgencyFactory, ProcedureFactory, RequiredDocumentFactory, UserFactory

User = get_user_model()
PASSWORD = "Tre-xanh-2026!"
MB = 1024 * 1024


def vi(message):
    """`message` as a Vietnamese page shows it (English until the catalogue has it)."""
    with translation.override("vi"):
        return translation.gettext(message)


@pytest.fixture(autouse=True)
def _fresh_cache_and_fast_hashing(settings):
    cache.clear()  # the resend form's throttle lives in the cache
    # Real hashing costs about a second per password; these tests are not about it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    yield
    cache.clear()


@pytest.fixture
def procedure(db):
    procedure = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        accepts_online=True,
        online_level=Procedure.OnlineLevel.FULL,
    )
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh", order=2)
    RequiredDocumentFactory(
        procedure=procedure, name="Văn bản ủy quyền", order=3, is_required=False
    )
    return procedure


def documents(procedure):
    return list(procedure.documents.order_by("order"))


def make_citizen(email="lan@example.vn", phone="0912345678"):
    user = UserFactory(username=email, email=email, first_name="Lan", last_name="Nguyễn Thị")
    user.groups.add(*roles_groups(roles.CITIZEN))
    Profile.objects.create(user=user, phone=phone)
    return user


def roles_groups(*names):
    from django.contrib.auth.models import Group

    return Group.objects.filter(name__in=names)


def make_staff(agency, role=roles.CLERK, username="tiepnhan"):
    user = UserFactory(username=username, roles=[role])
    Profile.objects.update_or_create(user=user, defaults={"agency": agency})
    return user


@pytest.fixture
def citizen(db):
    return make_citizen()


@pytest.fixture
def citizen_client(client, citizen):
    client.force_login(citizen)
    return client


def submit_url(procedure):
    return reverse("procedures:submit_online", args=[procedure.code])


def pdf_file(name="to-khai.pdf", size=None):
    return SimpleUploadedFile(name, pdf_bytes(size), content_type="application/pdf")


def form_data(procedure, token=None, **overrides):
    data = {
        "token": str(token or uuid.uuid4()),
        "applicant_name": "Nguyễn Thị Lan",
        "id_number": "079190000001",
        "phone": "0912345678",
        "email": "lan@example.vn",
        "address": "Ấp Mỹ Phong, xã Mỹ Phong",
        "request_text": "Đăng ký khai sinh cho con",
    }
    data.update(overrides)
    return data


def slot(document):
    return f"paper_{document.pk}"


# --- Registration and confirmation ---------------------------------------------------------


def register(client, **overrides):
    data = {
        "full_name": "  Nguyễn   Thị Lan ",
        "email": "Lan.Nguyen@Example.VN",
        "phone": "+84 912 345 678",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("dossiers:register"), data)


def confirmation_link():
    assert len(mail.outbox) == 1
    match = re.search(r"https?://\S+/dang-ky/xac-nhan/\S+", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(0)


def test_registration_creates_an_inactive_citizen_and_mails_a_link(client, db, settings):
    settings.PORTAL_BASE_URL = "https://motcua.myphong.example"
    response = register(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:registration_sent")
    user = User.objects.get()
    assert user.username == user.email == "lan.nguyen@example.vn"
    assert (user.last_name, user.first_name) == ("Nguyễn Thị", "Lan")
    assert person_name(user) == "Nguyễn Thị Lan"
    assert not user.is_active
    assert user.check_password(PASSWORD)
    assert user.profile.phone == "0912345678"
    assert list(user.groups.values_list("name", flat=True)) == [roles.CITIZEN]
    assert mail.outbox[0].to == ["lan.nguyen@example.vn"]
    assert confirmation_link().startswith("https://motcua.myphong.example/dang-ky/xac-nhan/")


def test_registering_a_taken_address_changes_nothing_and_tells_its_owner(client, citizen):
    response = register(client, email="LAN@example.vn")
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:registration_sent")
    assert User.objects.count() == 1
    citizen.refresh_from_db()
    assert not citizen.check_password(PASSWORD)
    (notice,) = mail.outbox
    assert notice.to == [citizen.email]
    assert "/quen-mat-khau/" in notice.body


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "091234567"),  # 9 digits
        ("phone", "02363123456"),  # a landline
        ("phone", "+1 212 555 0100"),
        ("password1", "12345678"),
        ("password1", "password"),
        ("password2", "Something-else-2026"),
    ],
)
def test_registration_checks_phone_and_password(client, db, field, value):
    response = register(client, **{field: value})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors and set(errors) <= {"phone", "password1", "password2"}
    assert not User.objects.exists()


def test_the_link_activates_the_account_and_logs_in(client, db):
    register(client)
    response = client.post(confirmation_link())
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:my_dossiers")
    assert User.objects.get().is_active
    assert client.session.get("_auth_user_id") == str(User.objects.get().pk)


def test_the_link_opened_in_another_browser_confirms_but_asks_for_the_password(client, db):
    register(client)
    other_browser = Client()
    response = other_browser.post(confirmation_link())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert User.objects.get().is_active
    assert not other_browser.session.get("_auth_user_id")


def test_an_unconfirmed_address_can_be_registered_again_which_voids_the_old_link(
    client, db, settings
):
    settings.ACCOUNT_MAIL_INTERVAL_MINUTES = 0  # the owner registers after the mail interval
    # Someone registers another person's address first, with a password of their own.
    register(Client(), password1="Ke-gian-2026!", password2="Ke-gian-2026!")
    first_link = confirmation_link()
    mail.outbox.clear()
    response = register(client)  # the owner of the address
    assert response.status_code == 302
    user = User.objects.get()
    assert user.check_password(PASSWORD)
    assert client.post(first_link).status_code == 400
    client.post(confirmation_link())
    assert client.session.get("_auth_user_id") == str(user.pk)


def test_the_link_brings_the_citizen_back_to_the_form_they_started(client, procedure):
    register(client, next=submit_url(procedure))
    response = client.post(confirmation_link())
    assert response["Location"] == submit_url(procedure)


def test_a_used_link_says_the_email_is_already_confirmed(client, db):
    register(client)
    link = confirmation_link()
    client.post(link)
    client.logout()
    response = client.get(link, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


@pytest.mark.parametrize("tamper", ["token", "uid"])
def test_a_wrong_link_shows_a_clear_message_and_a_way_to_resend(client, db, tamper):
    register(client)
    link = confirmation_link()
    uid, token = link.rstrip("/").split("/")[-2:]
    if tamper == "token":
        token = token[:-3] + "zzz"
    else:
        uid = "OTk5OTk"
    response = client.get(reverse("dossiers:confirm_email", args=[uid, token]))
    assert response.status_code == 400
    assert reverse("dossiers:resend_confirmation") in response.text
    assert not User.objects.get().is_active


def test_an_expired_link_does_not_activate(client, db, settings):
    with freeze_time("2026-03-02 09:00:00") as frozen:
        register(client)
        frozen.tick(timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60))
        response = client.get(confirmation_link())
    assert response.status_code == 400
    assert not User.objects.get().is_active


def test_resend_mails_a_new_link_to_an_unconfirmed_account(client, db, settings):
    settings.ACCOUNT_MAIL_INTERVAL_MINUTES = 0  # asked again after the mail interval
    register(client)
    mail.outbox.clear()
    response = client.post(
        reverse("dossiers:resend_confirmation"), {"email": "LAN.NGUYEN@example.vn"}
    )
    assert response.status_code == 302
    client.post(confirmation_link())
    assert User.objects.get().is_active


def test_resend_never_reveals_whether_an_email_is_registered(client, citizen):
    answers = []
    for email in ["nobody@example.vn", citizen.email]:  # unknown, and already confirmed
        response = client.post(
            reverse("dossiers:resend_confirmation"), {"email": email}, follow=True
        )
        main = re.search(r"<main.*</main>", response.text, re.S).group(0)
        answers.append((response.redirect_chain, main))
    assert answers[0] == answers[1]
    assert mail.outbox == []


def test_resend_does_not_flood_an_inbox(client, db):
    register(client)
    for _attempt in range(3):
        client.post(reverse("dossiers:resend_confirmation"), {"email": "lan.nguyen@example.vn"})
    assert len(mail.outbox) == 1  # the registration's own


def test_citizens_log_in_with_their_email_in_any_case(client, citizen):
    response = client.post(
        reverse("login"), {"username": " LAN@Example.vn ", "password": "mat-khau-dai-2026"}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(citizen.pk)


def test_an_unconfirmed_citizen_with_the_right_password_is_told_to_confirm(client, db):
    register(client)
    wrong = client.post(reverse("login"), {"username": "lan.nguyen@example.vn", "password": "x"})
    right = client.post(
        reverse("login"), {"username": "lan.nguyen@example.vn", "password": PASSWORD}
    )
    assert not wrong.context["form"].has_error("__all__", "unconfirmed")
    assert right.context["form"].has_error("__all__", "unconfirmed")
    assert not client.session.get("_auth_user_id")


def test_header_offers_registration_to_visitors_and_my_dossiers_to_citizens(client, citizen):
    assert reverse("dossiers:register") in client.get("/").text
    client.force_login(citizen)
    page = client.get("/").text
    assert reverse("dossiers:my_dossiers") in page
    assert reverse("dossiers:register") not in page


def test_staff_do_not_get_my_dossiers_in_the_header(client, db):
    client.force_login(make_staff(AgencyFactory()))
    assert reverse("dossiers:my_dossiers") not in client.get("/").text


# --- Who may open the submission form ------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in_first(client, procedure):
    response = client.get(submit_url(procedure))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={submit_url(procedure)}"


def test_staff_cannot_submit_online_and_are_told_why(client, procedure):
    client.force_login(make_staff(procedure.agency))
    response = client.get(submit_url(procedure))
    assert response.status_code == 403
    assert vi("For citizens only") in response.text


def test_the_form_is_prefilled_from_the_account_and_has_one_slot_per_paper(
    citizen_client, procedure
):
    response = citizen_client.get(submit_url(procedure))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["applicant_name"].value() == "Nguyễn Thị Lan"
    assert form["phone"].value() == "0912345678"
    assert form["email"].value() == "lan@example.vn"
    required, optional = documents(procedure)[1], documents(procedure)[2]
    assert form.fields[slot(required)].required
    assert not form.fields[slot(optional)].required
    assert vi("%(paper)s (if any)") % {"paper": "Văn bản ủy quyền"} in response.text
    assert 'enctype="multipart/form-data"' in response.text


# --- Submitting ----------------------------------------------------------------------------


def test_a_citizen_submits_online_with_files(citizen_client, citizen, procedure):
    to_khai, chung_sinh, _uy_quyen = documents(procedure)
    data = form_data(procedure, phone="+84912345678")
    data[slot(to_khai)] = pdf_file("Tờ khai.pdf")
    data[slot(chung_sinh)] = SimpleUploadedFile("Giấy chứng sinh.pdf", png_bytes())
    response = citizen_client.post(submit_url(procedure), data)

    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:submitted", args=[dossier.pk])
    assert dossier.status == Status.SUBMITTED
    assert dossier.channel == Dossier.Channel.ONLINE
    assert dossier.applicant == citizen
    assert (dossier.applicant_phone, dossier.applicant_id_number) == ("0912345678", "079190000001")
    assert dossier.request == "Đăng ký khai sinh cho con"
    files = {a.required_document_id: a for a in dossier.attachments.all()}
    assert files[to_khai.pk].original_name == "To_khai.pdf"
    assert files[chung_sinh.pk].original_name == "Giay_chung_sinh.png"  # content decides
    assert files[chung_sinh.pk].content_type == "image/png"
    assert files[chung_sinh.pk].file.read() == png_bytes()
    assert [p.name for p in dossier.papers.all()] == [to_khai.name, chung_sinh.name]
    assert not PendingUpload.objects.exists()

    confirmation = citizen_client.get(response["Location"])
    assert confirmation.status_code == 200
    page = confirmation.text
    assert "Đăng ký khai sinh" in page
    assert "Nguyễn Thị Lan" in page
    assert "To_khai.pdf" in page and "Giay_chung_sinh.png" in page
    assert vi("Waiting for reception") in page
    assert reverse("dossiers:attachment", args=[dossier.pk, files[to_khai.pk].pk]) in page


def test_files_are_stored_outside_any_public_url(citizen_client, procedure, settings):
    to_khai, chung_sinh, _ = documents(procedure)
    data = form_data(procedure)
    data[slot(to_khai)] = pdf_file()
    data[slot(chung_sinh)] = pdf_file("b.pdf")
    citizen_client.post(submit_url(procedure), data)
    attachment = Attachment.objects.first()
    assert str(settings.MEDIA_ROOT) in attachment.file.path
    assert citizen_client.get(f"/media/{attachment.file.name}").status_code == 404


def test_a_required_paper_must_be_attached(citizen_client, procedure):
    to_khai, chung_sinh, _ = documents(procedure)
    data = form_data(procedure)
    data[slot(to_khai)] = pdf_file()
    response = citizen_client.post(submit_url(procedure), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.has_error(slot(chung_sinh), "required")
    assert not form.has_error(slot(to_khai))
    assert not Dossier.objects.exists()
    # The error is linked to its field for screen readers.
    assert f'aria-describedby="id_{slot(chung_sinh)}_helptext id_{slot(chung_sinh)}_error"' in (
        response.text
    )


def test_a_bad_file_keeps_the_rest_of_the_form_and_the_good_files(citizen_client, procedure):
    to_khai, chung_sinh, _ = documents(procedure)
    token = uuid.uuid4()
    data = form_data(procedure, token=token, address="Số 5, ấp Mỹ Phong")
    data[slot(to_khai)] = pdf_file("Tờ khai.pdf")
    data[slot(chung_sinh)] = SimpleUploadedFile("giay-chung-sinh.pdf", EXE)
    response = citizen_client.post(submit_url(procedure), data)

    assert response.status_code == 200
    assert not Dossier.objects.exists()
    form = response.context["form"]
    assert form.has_error(slot(chung_sinh), "type")
    assert "Số 5, ấp Mỹ Phong" in response.text  # typed fields come back as typed
    kept = PendingUpload.objects.get()
    assert (kept.token, kept.required_document, kept.original_name) == (
        token,
        to_khai,
        "To_khai.pdf",
    )
    assert "To_khai.pdf" in response.text  # shown as already uploaded

    # The citizen now chooses only the paper that was wrong.
    data = form_data(procedure, token=token)
    data[slot(chung_sinh)] = pdf_file("giay-chung-sinh.pdf")
    response = citizen_client.post(submit_url(procedure), data)
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert sorted(a.original_name for a in dossier.attachments.all()) == [
        "To_khai.pdf",
        "giay-chung-sinh.pdf",
    ]
    assert not PendingUpload.objects.exists()


def test_good_files_are_kept_when_another_field_is_wrong(citizen_client, procedure):
    to_khai, chung_sinh, _ = documents(procedure)
    data = form_data(procedure, id_number="12345")
    data[slot(to_khai)] = pdf_file()
    data[slot(chung_sinh)] = pdf_file("b.pdf")
    response = citizen_client.post(submit_url(procedure), data)
    assert response.context["form"].has_error("id_number")
    assert PendingUpload.objects.count() == 2
    # Sent again with the ID fixed and no file chosen: the kept files are used.
    response = citizen_client.post(submit_url(procedure), form_data(procedure, token=data["token"]))
    assert response.status_code == 302
    assert Dossier.objects.get().attachments.count() == 2


def test_a_kept_optional_file_can_be_removed(citizen_client, procedure):
    to_khai, chung_sinh, uy_quyen = documents(procedure)
    token = uuid.uuid4()
    data = form_data(procedure, token=token, id_number="")
    data[slot(uy_quyen)] = pdf_file("uy-quyen.pdf")
    citizen_client.post(submit_url(procedure), data)
    assert PendingUpload.objects.filter(required_document=uy_quyen).exists()
    data = form_data(procedure, token=token, **{f"{slot(uy_quyen)}_remove": "on"})
    data[slot(to_khai)] = pdf_file()
    data[slot(chung_sinh)] = pdf_file("b.pdf")
    citizen_client.post(submit_url(procedure), data)
    dossier = Dossier.objects.get()
    assert uy_quyen.pk not in {a.required_document_id for a in dossier.attachments.all()}


def test_a_dossier_may_hold_at_most_50_mb(citizen_client, procedure):
    papers = [*documents(procedure)]
    papers += RequiredDocumentFactory.create_batch(3, procedure=procedure, is_required=False)
    data = form_data(procedure)
    big = pdf_bytes(size=9 * MB)  # each file is fine; six of them are 54 MB
    for number, document in enumerate(papers):
        data[slot(document)] = SimpleUploadedFile(f"to-{number}.pdf", big)
    response = citizen_client.post(submit_url(procedure), data)
    assert response.status_code == 200
    assert response.context["form"].has_error("__all__", "dossier_too_big")
    assert "50 MB" in response.text
    assert not Dossier.objects.exists()
    assert not PendingUpload.objects.exists()


def test_the_same_form_sent_twice_makes_one_dossier(citizen_client, procedure):
    to_khai, chung_sinh, _ = documents(procedure)
    token = uuid.uuid4()
    responses = []
    for _click in range(2):
        data = form_data(procedure, token=token)
        data[slot(to_khai)] = pdf_file()
        data[slot(chung_sinh)] = pdf_file("b.pdf")
        responses.append(citizen_client.post(submit_url(procedure), data))
    dossier = Dossier.objects.get()
    assert [r["Location"] for r in responses] == [
        reverse("dossiers:submitted", args=[dossier.pk])
    ] * 2
    assert dossier.attachments.count() == 2
    assert not PendingUpload.objects.exists()


def test_a_procedure_without_online_submission_has_no_form(citizen_client, db):
    counter_only = ProcedureFactory(accepts_online=False)
    assert citizen_client.get(submit_url(counter_only)).status_code == 404


# --- My dossiers, and their files ----------------------------------------------------------


@pytest.fixture
def dossier(citizen_client, procedure):
    to_khai, chung_sinh, _ = documents(procedure)
    data = form_data(procedure)
    data[slot(to_khai)] = pdf_file("to-khai.pdf")
    data[slot(chung_sinh)] = pdf_file("chung-sinh.pdf")
    citizen_client.post(submit_url(procedure), data)
    return Dossier.objects.get()


def test_my_dossiers_lists_only_mine_with_dates_as_dd_mm_yyyy(citizen_client, dossier, procedure):
    other = make_citizen("hoa@example.vn")
    services.submit_online(
        procedure, other, applicant=services.Applicant("Trần Thị Hoa", "0987654321")
    )
    response = citizen_client.get(reverse("dossiers:my_dossiers"))
    assert list(response.context["dossiers"]) == [dossier]
    assert timezone.localtime(dossier.submitted_at).strftime("%d/%m/%Y") in response.text
    assert "Trần Thị Hoa" not in response.text


def test_my_dossiers_costs_the_same_queries_for_one_or_many(
    citizen_client, citizen, dossier, procedure, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        citizen_client.get(reverse("dossiers:my_dossiers"))
    for _n in range(5):
        services.submit_online(
            procedure, citizen, applicant=services.Applicant("Lan", "0912345678")
        )
    with django_assert_max_num_queries(len(one)):
        citizen_client.get(reverse("dossiers:my_dossiers"))


def test_the_dossier_page_shows_summary_files_and_history(citizen_client, dossier):
    response = citizen_client.get(reverse("dossiers:my_dossier", args=[dossier.pk]))
    assert response.status_code == 200
    page = response.text
    assert "to-khai.pdf" in page and "chung-sinh.pdf" in page
    assert vi("You submitted the dossier online.") in page
    assert response.context["form"] is None  # nothing asked for


def test_another_citizen_gets_404_for_my_dossier_and_my_files(client, dossier):
    client.force_login(make_citizen("hoa@example.vn"))
    attachment = dossier.attachments.first()
    for url in [
        reverse("dossiers:my_dossier", args=[dossier.pk]),
        reverse("dossiers:submitted", args=[dossier.pk]),
        reverse("dossiers:attachment", args=[dossier.pk, attachment.pk]),
    ]:
        assert client.get(url).status_code == 404, url


def test_a_file_is_not_reachable_through_another_dossier(client, citizen, dossier, procedure):
    mine = services.submit_online(
        procedure, citizen, applicant=services.Applicant("Lan", "0912345678")
    )
    client.force_login(citizen)
    attachment = dossier.attachments.first()
    url = reverse("dossiers:attachment", args=[mine.pk, attachment.pk])
    assert client.get(url).status_code == 404


def test_the_applicant_downloads_a_file_as_an_attachment(citizen_client, dossier):
    attachment = dossier.attachments.get(original_name="to-khai.pdf")
    response = citizen_client.get(reverse("dossiers:attachment", args=[dossier.pk, attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="to-khai.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_staff_of_the_agency_download_and_other_agencies_get_404(client, dossier):
    attachment = dossier.attachments.first()
    url = reverse("dossiers:attachment", args=[dossier.pk, attachment.pk])
    client.force_login(make_staff(dossier.agency))
    assert client.get(url).status_code == 200
    other_agency = AgencyFactory(code="000.00.01.H56", name="UBND xã Khác")
    client.force_login(make_staff(other_agency, username="tiepnhan-khac"))
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in_for_pages_and_files(client, dossier):
    client.logout()
    attachment = dossier.attachments.first()
    for url in [
        reverse("dossiers:my_dossiers"),
        reverse("dossiers:my_dossier", args=[dossier.pk]),
        reverse("dossiers:attachment", args=[dossier.pk, attachment.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{reverse('login')}?next=")


# --- Supplements ---------------------------------------------------------------------------


@pytest.fixture
def asked(dossier):
    clerk = make_staff(dossier.agency)
    return services.request_supplement(
        dossier,
        clerk,
        items=["Giấy chứng sinh (bản rõ nét)", "Bản sao sổ hộ khẩu"],
        reason="Ảnh giấy chứng sinh bị mờ.",
    )


def test_the_citizen_sees_what_to_add_and_why(citizen_client, asked, procedure):
    response = citizen_client.get(reverse("dossiers:my_dossier", args=[asked.pk]))
    page = response.text
    assert "Giấy chứng sinh (bản rõ nét)" in page
    assert "Bản sao sổ hộ khẩu" in page
    assert "Ảnh giấy chứng sinh bị mờ." in page
    form = response.context["form"]
    chung_sinh = documents(procedure)[1]
    # Each item asked for has its own slot, first; the one naming a paper is required.
    first, second = form.slot_list[:2]
    assert (first.item, first.document, first.required) == (
        "Giấy chứng sinh (bản rõ nét)",
        chung_sinh,
        True,
    )
    assert (second.item, second.document, second.required) == ("Bản sao sổ hộ khẩu", None, False)
    assert chung_sinh not in [s.document for s in form.slot_list[2:]]


def test_a_supplement_returns_the_dossier_to_the_clerk(citizen_client, citizen, asked, procedure):
    chung_sinh = documents(procedure)[1]
    data = {
        "token": str(uuid.uuid4()),
        "item_0": pdf_file("chung-sinh-ro.pdf"),
        "note": "Đã chụp lại rõ hơn.",
    }
    response = citizen_client.post(reverse("dossiers:my_dossier", args=[asked.pk]), data)
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == Status.SUBMITTED
    added = asked.attachments.get(kind=Attachment.Kind.SUPPLEMENT)
    assert (added.original_name, added.required_document, added.uploaded_by) == (
        "chung-sinh-ro.pdf",
        chung_sinh,
        citizen,
    )
    event = asked.events.get(action="supplement")
    assert event.note == "Đã chụp lại rõ hơn."
    page = citizen_client.get(response["Location"]).text
    assert vi("You sent the papers asked for.") in page
    assert response.wsgi_request  # a second post is told the dossier no longer waits
    again = citizen_client.post(reverse("dossiers:my_dossier", args=[asked.pk]), data)
    assert again.status_code == 302
    assert asked.attachments.filter(kind=Attachment.Kind.SUPPLEMENT).count() == 1


def test_a_supplement_with_a_bad_file_keeps_the_good_one(citizen_client, asked, procedure):
    to_khai = documents(procedure)[0]
    token = uuid.uuid4()
    data = {
        "token": str(token),
        "item_0": SimpleUploadedFile("chung-sinh.pdf", b""),
        slot(to_khai): pdf_file("to-khai-moi.pdf"),
    }
    response = citizen_client.post(reverse("dossiers:my_dossier", args=[asked.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].has_error("item_0")
    assert PendingUpload.objects.get().original_name == "to-khai-moi.pdf"
    asked.refresh_from_db()
    assert asked.status == Status.AWAITING_SUPPLEMENT


def test_uploads_limits_are_module_constants():
    assert uploads.MAX_FILE_BYTES == 10 * MB
    assert uploads.MAX_DOSSIER_BYTES == 50 * MB


def test_a_free_text_item_gets_its_own_slot_and_its_file_says_what_it_answers(
    citizen_client, asked, procedure
):
    data = {
        "token": str(uuid.uuid4()),
        "item_0": pdf_file("chung-sinh-ro.pdf"),
        "item_1": pdf_file("so-ho-khau.pdf"),
    }
    page = citizen_client.get(reverse("dossiers:my_dossier", args=[asked.pk])).text
    assert 'name="item_1"' in page
    response = citizen_client.post(reverse("dossiers:my_dossier", args=[asked.pk]), data)
    assert response.status_code == 302
    added = asked.attachments.get(original_name="so-ho-khau.pdf")
    assert (added.requested_item, added.required_document) == ("Bản sao sổ hộ khẩu", None)
    matched = asked.attachments.get(original_name="chung-sinh-ro.pdf")
    assert matched.required_document == documents(procedure)[1]
    assert matched.requested_item == "Giấy chứng sinh (bản rõ nét)"


def test_a_free_text_items_file_is_kept_when_another_slot_fails(citizen_client, asked):
    token = uuid.uuid4()
    data = {
        "token": str(token),
        "item_0": SimpleUploadedFile("chung-sinh.pdf", b""),
        "item_1": pdf_file("so-ho-khau.pdf"),
    }
    response = citizen_client.post(reverse("dossiers:my_dossier", args=[asked.pk]), data)
    assert response.status_code == 200
    kept = PendingUpload.objects.get()
    assert (kept.item, kept.required_document) == ("Bản sao sổ hộ khẩu", None)
    again = citizen_client.post(
        reverse("dossiers:my_dossier", args=[asked.pk]),
        {"token": str(token), "item_0": pdf_file("chung-sinh-ro.pdf")},
    )
    assert again.status_code == 302
    assert asked.attachments.filter(requested_item="Bản sao sổ hộ khẩu").exists()


def test_a_citizen_chooses_to_receive_the_result_by_post(citizen_client, procedure):
    to_khai, chung_sinh, _uy_quyen = documents(procedure)
    data = form_data(procedure, result_delivery="post", delivery_address="")
    data[slot(to_khai)] = pdf_file("Tờ khai.pdf")
    data[slot(chung_sinh)] = pdf_file("Giấy chứng sinh.pdf")
    response = citizen_client.post(submit_url(procedure), data)
    assert response.status_code == 200  # the address is missing
    assert not Dossier.objects.exists()
    data = form_data(
        procedure, result_delivery="post", delivery_address="Số 5, ấp Mỹ Hòa, xã Mỹ Phong"
    )
    data[slot(to_khai)] = pdf_file("Tờ khai.pdf")
    data[slot(chung_sinh)] = pdf_file("Giấy chứng sinh.pdf")
    citizen_client.post(submit_url(procedure), data)
    dossier = Dossier.objects.get()
    assert (dossier.result_delivery, dossier.delivery_address) == (
        "post",
        "Số 5, ấp Mỹ Hòa, xã Mỹ Phong",
    )
