from django.contrib import admin
from django.urls import include, path

from . import accounts, health, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("dang-nhap/", views.LoginView.as_view(), name="login"),
    path("dang-xuat/", views.LogoutView.as_view(), name="logout"),
    path("quen-mat-khau/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "quen-mat-khau/da-gui/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "quen-mat-khau/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "quen-mat-khau/xong/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("doi-mat-khau/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path(
        "doi-mat-khau/xong/",
        accounts.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("ngon-ngu/", include("django.conf.urls.i18n")),
    path("thu-tuc/", include("procedures.urls")),
    path("", include("dossiers.urls")),
    path("quan-tri/", admin.site.urls),
]
