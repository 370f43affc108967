"""Sign-in, sign-out, password change and the first run."""

from __future__ import annotations

from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from bugbridge.tracker.errors import DomainError
from bugbridge.web import services
from bugbridge.web.views.common import member_view, render_refused


class SignInView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if services.needs_first_run():
            return redirect("web:setup")
        return super().get(request, *args, **kwargs)


def sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        logout(request)
    return redirect("web:login")


def setup(request: HttpRequest) -> HttpResponse:
    if not services.needs_first_run():
        return redirect("web:login")
    if request.method != "POST":
        return render(request, "web/setup.html", {})
    data = request.POST
    try:
        user = services.first_run(
            data.get("username", ""),
            data.get("email", ""),
            data.get("password", ""),
            data.get("organization", ""),
        )
    except DomainError as exc:
        return render_refused(request, "web/setup.html", {}, exc)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect("web:projects")


@member_view
def password_change(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "web/password.html", {})
    try:
        services.change_password(
            request.user, request.POST.get("old_password", ""), request.POST.get("password", "")
        )
    except DomainError as exc:
        return render_refused(request, "web/password.html", {}, exc)
    update_session_auth_hash(request, request.user)  # type: ignore[arg-type]
    return render(request, "web/password.html", {"done": True})
