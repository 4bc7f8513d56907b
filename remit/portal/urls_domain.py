"""URLs for a request whose Host is a biller's own domain: that biller's portal at the root."""

from django.urls import include, path

from remit.site import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("", include("remit.portal.urls")),
]
