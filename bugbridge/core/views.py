from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 page, but an unmatched URL reads as such, not as a resolver's class name."""
    message = "" if isinstance(exception, Resolver404) else str(exception)
    body = render_to_string("404.html", {"exception": message}, request=request)
    return HttpResponseNotFound(body)
