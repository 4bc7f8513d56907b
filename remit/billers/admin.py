"""The operators' view of billers. Changes that carry rules (addresses, branding, the team) are made
by the billers themselves in the console, through the actions; the admin is for looking."""

from django.contrib import admin
from django.http import HttpRequest

from remit.billers.models import Biller, BillerEvent, Membership, PreviousSlug, StaffInvitation


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "role", "created_at")


class PreviousSlugInline(ReadOnlyInline):
    model = PreviousSlug
    fields = ("slug", "retired_at")


@admin.register(Biller)
class BillerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "custom_domain", "created_at")
    search_fields = ("name", "slug", "custom_domain")
    readonly_fields = (
        "name",
        "slug",
        "custom_domain",
        "brand_color",
        "logo_sha256",
        "logo_width",
        "logo_height",
        "created_at",
    )
    inlines = [MembershipInline, PreviousSlugInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(StaffInvitation)
class StaffInvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "biller", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    search_fields = ("email", "biller__name")
    list_select_related = ("biller", "invited_by")
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BillerEvent)
class BillerEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "biller", "kind", "actor")
    list_filter = ("kind",)
    search_fields = ("biller__name",)
    list_select_related = ("biller", "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
