from django.urls import path
from django.views.generic import RedirectView

from myphong.pagecache import public_page

from .views import attention, citizen, counter, feedback, files, lookup, office, records, statistics

app_name = "dossiers"
urlpatterns = [
    path("dang-ky/", citizen.register, name="register"),
    path("dang-ky/da-gui/", citizen.registration_sent, name="registration_sent"),
    path("dang-ky/gui-lai/", citizen.resend_confirmation, name="resend_confirmation"),
    path(
        "dang-ky/xac-nhan/<str:uidb64>/<str:token>/",
        citizen.confirm_email,
        name="confirm_email",
    ),
    path("ho-so-cua-toi/", citizen.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<int:pk>/", citizen.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<int:pk>/da-nop/", citizen.submitted, name="submitted"),
    path("ho-so/<int:pk>/tep/<int:attachment_id>/", files.attachment, name="attachment"),
    path("ho-so/<int:pk>/phieu/<str:form>/", files.slip, name="slip"),
    path("ho-so/<int:pk>/phieu/<str:form>/<int:event_id>/", files.slip, name="slip_of_event"),
    # The one-stop counter (clerks)
    path("quay/", counter.queue, name="counter_queue"),
    path("quay/tiep-nhan/", counter.intake, name="counter_intake"),
    path("quay/ho-so/<int:pk>/", counter.review, name="counter_review"),
    path("quay/huong-dan/", counter.guidance, name="counter_guidance"),
    path("quay/huong-dan/<int:pk>/", counter.guidance_done, name="counter_guidance_done"),
    path("quay/huong-dan/<int:pk>/phieu/", counter.guidance_pdf, name="counter_guidance_pdf"),
    path("quay/ho-so/<int:pk>/bien-nhan/", counter.receipt, name="counter_receipt"),
    # The back office (specialists, leaders, clerks)
    path("xu-ly/", office.queue, name="office_queue"),
    path("xu-ly/can-chu-y/", attention.attention, name="attention"),
    path("xu-ly/ho-so/<int:pk>/", office.dossier, name="office_dossier"),
    # Before office_act, whose <slug:action> would take "mau-06" too. The control sheet is Form 06
    # of Circular 03/2025 (Form 05 of Circular 01/2018): the old address still leads to it.
    path("xu-ly/ho-so/<int:pk>/mau-06/", records.control_sheet, name="control_sheet"),
    path(
        "xu-ly/ho-so/<int:pk>/mau-05/",
        RedirectView.as_view(pattern_name="dossiers:control_sheet", permanent=True),
        name="control_sheet_old",
    ),
    path("xu-ly/ho-so/<int:pk>/<slug:action>/", office.act, name="office_act"),
    # "register" already names the citizens' sign-up page.
    path("xu-ly/so-theo-doi/", records.register, name="register_book"),
    path("xu-ly/thong-ke/", statistics.statistics_page, name="statistics"),
    path("cong-khai/", statistics.public_statistics, name="public_statistics"),
    path("xu-ly/thong-ke/ho-so/", statistics.statistics_dossiers, name="statistics_dossiers"),
    # Following a dossier: the public lookup (code + phone or key), withdrawal, rating
    # The blank form is cached for anonymous visitors; lookups (POST) never are.
    path("tra-cuu/", public_page(lookup.lookup_dossier), name="lookup"),
    path("tra-cuu/ho-so/", lookup.lookup_result, name="lookup_result"),
    path("tra-cuu/ho-so/danh-gia/", lookup.lookup_rate, name="lookup_rate"),
    path("tra-cuu/dong/", lookup.lookup_end, name="lookup_end"),
    path("tra-cuu/ho-so/phieu/<str:form>/<int:event_id>/", lookup.lookup_slip, name="lookup_slip"),
    path("ho-so-cua-toi/<int:pk>/rut/", citizen.withdraw, name="withdraw"),
    path("ho-so-cua-toi/<int:pk>/danh-gia/", lookup.rate_my_dossier, name="rate"),
    # Feedback and petitions (phản ánh, kiến nghị): public form and lookup, leaders' answers
    path("phan-anh/", feedback.send, name="feedback"),
    path("phan-anh/da-gui/", feedback.sent, name="feedback_sent"),
    path("phan-anh/tra-cuu/", feedback.lookup_feedback, name="feedback_lookup"),
    path("phan-anh/tra-cuu/ket-qua/", feedback.result, name="feedback_result"),
    path("xu-ly/phan-anh/", feedback.queue, name="feedback_queue"),
    path("xu-ly/phan-anh/<int:pk>/", feedback.answer, name="feedback_answer"),
]
