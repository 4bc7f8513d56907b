"""Operators can open every admin page (a smoke test: no admin page may crash)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from remit.notifications.actions import email_send
from remit.test import make_biller, make_staff
from remit.users.models import User

pytestmark = pytest.mark.django_db


def test_every_admin_list_and_detail_page_opens(client):
    biller, _ = make_biller("Acme Supply Co.")
    make_staff(biller)
    email_send(
        to=["x@example.com"],
        template="staff_invitation",
        biller=biller,
        context={"invitation": None, "inviter": "A", "accept_url": "https://x.example/"},
    )
    operator = User.objects.create_superuser("ops@remit.example", "operator-password-1")
    client.force_login(operator)
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{prefix}_changelist")).status_code == 200, prefix
        first = model._default_manager.first()
        if first is not None:
            assert client.get(reverse(f"{prefix}_change", args=[first.pk])).status_code == 200, prefix


def test_console_users_who_are_not_operators_cannot_use_the_admin(client):
    _, owner = make_biller()
    client.force_login(owner)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
