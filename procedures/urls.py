from django.urls import path

from dossiers.views import citizen

from . import views

app_name = "procedures"
urlpatterns = [
    path("", views.procedure_list, name="list"),
    path("<str:code>/", views.procedure_detail, name="detail"),
    path("<str:code>/mau/<int:document_id>/", views.form_template, name="form_template"),
    path("<str:code>/nop-truc-tuyen/", citizen.submit, name="submit_online"),
]
