from django.urls import path

from . import views

app_name = "procedures"
urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("<str:code>/", views.procedure_detail, name="detail"),
    path("<str:code>/mau/<int:document_id>/", views.form_template, name="form_template"),
    path("<str:code>/nop-truc-tuyen/", views.submit_online, name="submit_online"),
]
