from django.contrib import admin
from django.urls import include, path

from . import health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("ngon-ngu/", include("django.conf.urls.i18n")),
    path("thu-tuc/", include("procedures.urls")),
    path("", include("dossiers.urls")),
    path("quan-tri/", admin.site.urls),
]
