"""/api/v1/…: the REST API, its OpenAPI document and its documentation page. Any other path under
/api/ is a 404 problem document (not the site's HTML 404)."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from remit.api import problems, views

app_name = "api"

router = SimpleRouter(trailing_slash=False)
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("invoices", views.InvoiceViewSet, basename="invoice")
router.register("payments", views.PaymentViewSet, basename="payment")
router.register("credits", views.CreditViewSet, basename="credit")
router.register("ach/files", views.AchFileViewSet, basename="ach-file")
router.register("ach/returns", views.AchReturnViewSet, basename="ach-return")
router.register("recurring-invoices", views.RecurringInvoiceViewSet, basename="recurring-invoice")

urlpatterns = [
    path("v1/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("v1/docs", views.docs, name="docs"),
    path("v1/problems/<slug:name>", problems.problem_type, name="problem_type"),
    path("v1/", include(router.urls)),
    re_path(r"", problems.not_found),
]
