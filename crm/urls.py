from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import include, path

import crm.converters  # noqa: F401  (registers <id:...> before the apps' URLs load)
from teams.forms import StyledPasswordChangeForm
from teams.views import profile


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    return redirect("pipeline:board-default")


urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(form_class=StyledPasswordChangeForm),
        name="password_change",
    ),
    path(
        "password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"
    ),
    path("profile/", profile, name="profile"),
    path("", include("pipeline.urls")),
    path("", include("activities.urls")),
    path("leads/", include("leads.urls")),
    path("", include("contacts.urls")),
    path("", include("webhooks.urls")),
    path("", include("notes.urls")),
    path("", include("imports.urls")),
    path("", include("api.urls")),
    path("reports/", include("reporting.urls")),
    path("search/", include("search.urls")),
    path("admin/", admin.site.urls),
]
