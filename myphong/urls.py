from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("ngon-ngu/", include("django.conf.urls.i18n")),
    path("thu-tuc/", include("procedures.urls")),
    path("", include("dossiers.urls")),
    path("quan-tri/", admin.site.urls),
]
