"""The project's URLs plus a trivial login-protected view: the benchmarks' baseline."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path


@login_required
def ping(request):
    return HttpResponse("ok")


urlpatterns = [path("bench/ping/", ping), path("", include("config.urls"))]
