"""The operators' view of API keys: which business has which keys, when they were last used and
revoked. Keys are made and revoked by the billers' owners in the console; the admin only looks."""

from django.contrib import admin
from django.http import HttpRequest

from remit.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "biller", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "biller__name")
    fields = ("biller", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at", "revoked_by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
