from django.contrib import admin
from django.urls import include, path

from remit.site import health, metrics, tls, views

admin.site.site_header = "Remit operators"
admin.site.site_title = "Remit operators"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("healthz/live", health.live, name="healthz-live"),  # the reverse proxy's check of an instance
    path("metrics", metrics.metrics, name="metrics"),
    path("internal/tls-allowed", tls.tls_allowed, name="tls-allowed"),  # Caddy's on-demand TLS asks here
    path("admin/", admin.site.urls),
    path("console/", include("remit.console.urls")),
    path("api/", include("remit.api.urls")),
    # Last: every other first path segment is a biller's portal address.
    path("<slug:biller_slug>/", include("remit.portal.urls")),
]
