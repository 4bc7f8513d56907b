from django.contrib import admin
from django.http import HttpRequest

from remit.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Operators look; billers manage their endpoints in the console (where secrets are shown once)."""

    list_display = ("url", "biller", "is_active", "created_at")
    list_filter = ("is_active", "biller")
    list_select_related = ("biller",)
    exclude = ("secret_encrypted", "previous_secret_encrypted")
    readonly_fields = ("biller", "url", "events", "is_active", "previous_secret_expires_at", "created_by", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("created_at", "endpoint", "event", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status",)
    list_select_related = ("endpoint", "event")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
