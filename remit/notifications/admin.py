from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from remit.notifications.actions import outbox_retry
from remit.notifications.models import OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "subject", "recipient_list", "biller", "status", "attempts", "sent_at")
    list_filter = ("status", "biller")
    search_fields = ("subject", "message_id")
    list_select_related = ("biller",)
    exclude = ("raw",)
    readonly_fields = [f.name for f in OutboundEmail._meta.fields if f.name != "raw"]
    actions = ["retry_now"]

    @admin.display(description="To")
    def recipient_list(self, obj: OutboundEmail) -> str:
        return ", ".join(obj.recipients)

    @admin.action(description="Retry delivery now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        retried = sum(outbox_retry(email_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{retried} email(s) queued for delivery.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutboundEmail | None = None) -> bool:
        return False
