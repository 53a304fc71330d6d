from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from desk.views import dossier, pages, register

app_name = "desk"

CODE = "<str:code>"

urlpatterns = [
    path("", pages.queue, name="queue"),
    path("language/", pages.switch_language, name="language"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="desk/login.html",
            redirect_authenticated_user=True,
            next_page=reverse_lazy("desk:queue"),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="desk/password.html", success_url=reverse_lazy("desk:password-done")
        ),
        name="password",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="desk/password_done.html"),
        name="password-done",
    ),
    path("register/", register.register, name="register"),
    path(f"dossiers/{CODE}/", dossier.dossier_detail, name="dossier"),
    path(f"dossiers/{CODE}/receipt/", dossier.receipt, name="receipt"),
    path(f"dossiers/{CODE}/forms/<str:kind>/", dossier.form, name="form"),
    path(f"dossiers/{CODE}/act/<str:name>/", dossier.act, name="act"),
    path(f"dossiers/{CODE}/scans/", dossier.digitize, name="digitize"),
    path(f"dossiers/{CODE}/reuse/", dossier.reuse, name="reuse"),
    path(f"dossiers/{CODE}/result/", dossier.attach_result, name="result"),
    path(f"dossiers/{CODE}/apology/", dossier.apology, name="apology"),
    path(f"dossiers/{CODE}/files/<int:file_id>/", dossier.dossier_file, name="file"),
]
