from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from remit.users.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "biller", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "biller")
    search_fields = ("email", "full_name")
    list_select_related = ("biller",)
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name", "biller")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")
