"""Nobody reaches a biller's console but its own team: every console URL that names a biller is walked
as an outsider (another biller's owner and staff, signed out) and must give nothing away."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from remit.ach.models import InboundFile
from remit.api.actions import api_key_create
from remit.api.models import ApiKey
from remit.bank.models import FileDelivery, PickedUpFile
from remit.billers.actions import staff_invite
from remit.billers.models import Membership, Role, StaffInvitation
from remit.invoices.models import Invoice
from remit.notifications.models import OutboundEmail
from remit.payments.credits import credit_issue
from remit.recurring.models import RecurringChange
from remit.test import make_biller, make_customer, make_invoice, make_staff
from remit.webhooks.endpoints import webhook_endpoint_create
from remit.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def console_biller_patterns() -> list[str]:
    """Every named console URL that takes the biller's slug."""
    resolver = get_resolver()
    console = next(p for p in resolver.url_patterns if isinstance(p, URLResolver) and p.namespace == "console")
    return [p.name or "" for p in console.url_patterns if isinstance(p, URLPattern) and "<slug:slug>" in str(p.pattern)]


def url_for(name: str, acme, ids: dict[str, int]) -> str:
    """The URL of a console page of Acme, with ids of Acme's own objects filled in."""
    from django.urls import get_resolver, reverse

    console = get_resolver().namespace_dict["console"][1]
    pattern = next(p for p in console.url_patterns if getattr(p, "name", None) == name)
    kwargs = {"slug": acme.slug, **{key: ids[key] for key in pattern.pattern.converters if key != "slug"}}
    return reverse(f"console:{name}", kwargs=kwargs)


def acme_ach_file(acme, modifier="A"):
    from datetime import date

    from remit.ach.models import AchFile

    return AchFile.objects.create(
        biller=acme,
        filename=f"acme-supply-20260105-{modifier}-effective-20260106.ach",
        effective_date=date(2026, 1, 6),
        created_on=date(2026, 1, 5),
        file_id_modifier=modifier,
        sha256="0" * 64,
        size_bytes=940,
        entry_count=1,
        batch_count=1,
        total_debit_cents=100,
        total_credit_cents=0,
    )


def bank_ids(acme):
    """A delivery of Acme's file to its bank, and a file picked up from it."""
    delivery = FileDelivery.objects.create(file=acme_ach_file(acme, modifier="B"), biller=acme)
    picked = PickedUpFile.objects.create(
        biller=acme, remote_name="returns.ach", sha256="1" * 64, content_encrypted="", status="unreadable"
    )
    return {"file_delivery_id": delivery.pk, "picked_up_id": picked.pk}


def hold_ids(customer):
    """A payment of the customer's, held for review."""
    from django.db import transaction

    from remit.payments.actions import payment_schedule
    from remit.payments.holds import payment_hold_place
    from remit.payments.models import AccountValidation
    from remit.test import make_bank_account, make_portal_user, soonest_pay_on

    user = make_portal_user(customer)
    invoice = make_invoice(customer, amount_cents=1000)
    payment = payment_schedule(
        payer=user,
        invoice_ids=[invoice.pk],
        bank_account_id=make_bank_account(user).pk,
        pay_on=soonest_pay_on(customer.biller),
        total_cents=1000,
    )
    with transaction.atomic():
        hold = payment_hold_place(payment=payment, rule_code="test", reason="Test")
    validation = AccountValidation.objects.get(bank_account_id=payment.bank_account_id)
    return {"hold_id": hold.pk, "validation_id": validation.pk, "payment_id": payment.pk}


def recurring_ids(customer):
    """A recurring invoice of the customer's, its first date held for review."""
    from remit.recurring.actions import recurring_create
    from remit.recurring.issuing import recurring_run
    from remit.recurring.tests.helpers import fields

    today = customer.biller.today()
    template = recurring_create(
        biller=customer.biller, actor=None, fields=fields(customer, start_on=today, delivery="review")
    )
    [issue] = recurring_run(today=today).issues
    return {"template_id": template.pk, "issue_id": issue.pk}


@pytest.fixture
def acme_urls():
    acme, owner = make_biller("Acme Supply Co.")
    staff = make_staff(acme)
    invitation = staff_invite(biller=acme, actor=owner, email="pending@example.com", role=Role.STAFF).invitation
    customer = make_customer(acme, "Initech")
    endpoint = webhook_endpoint_create(
        biller=acme, actor=owner, url="https://hooks.example.com/remit", events=["invoice.created"]
    ).endpoint
    ids = {
        "membership_id": Membership.objects.get(user=staff).pk,
        "invitation_id": invitation.pk,
        "customer_id": customer.pk,
        "invoice_id": make_invoice(customer).pk,
        "endpoint_id": endpoint.pk,
        "credit_id": credit_issue(biller=acme, customer=customer, amount_cents=100, reason="Goodwill", actor=owner).pk,
        "delivery_id": WebhookDelivery.objects.get(endpoint=endpoint).pk,
        "file_id": acme_ach_file(acme).pk,
        "inbound_id": InboundFile.objects.create(sha256="1" * 64, filename="returns.ach", biller=acme).pk,
        "key_id": api_key_create(biller=acme, actor=owner, name="Accounting sync").api_key.pk,
        **bank_ids(acme),
        **hold_ids(customer),
        **recurring_ids(customer),
    }
    names = console_biller_patterns()
    assert {"dashboard", "team_remove", "customer", "invoice", "invoice_void", "invoice_pdf"} <= set(names)
    return acme, [url_for(name, acme, ids) for name in names]


@pytest.mark.parametrize("who", ["other_owner", "other_staff"])
def test_another_billers_people_get_404_everywhere(client, acme_urls, who):
    acme, urls = acme_urls
    other, other_owner = make_biller("Globex Corporation")
    client.force_login(other_owner if who == "other_owner" else make_staff(other))
    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 404, f"{method.__name__.upper()} {url}"
            assert b"Acme" not in response.content
            assert b"Initech" not in response.content
    assert Membership.objects.filter(biller=acme).count() == 2
    assert not Invoice.objects.filter(voided_at__isnull=False).exists()
    assert not OutboundEmail.objects.filter(subject__contains="Invoice").exists()
    assert StaffInvitation.objects.filter(biller=acme, revoked_at__isnull=True, accepted_at__isnull=True).count() == 1
    assert WebhookEndpoint.objects.filter(biller=acme, is_active=True, url="https://hooks.example.com/remit").exists()
    assert ApiKey.objects.filter(biller=acme, revoked_at__isnull=True).count() == 1
    assert not FileDelivery.objects.filter(status="delivered").exists()
    assert PickedUpFile.objects.filter(biller=acme).count() == 1
    assert not RecurringChange.objects.exclude(kind="created").exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, acme_urls):
    _, urls = acme_urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/console/signin/?next=")


def test_a_portal_user_is_not_a_console_user(client, acme_urls):
    from remit.users.models import User

    acme, urls = acme_urls
    payer = User.objects.create_user("payer@example.com", "x", biller=acme)
    client.force_login(payer)
    for url in urls:
        assert client.get(url).status_code == 302, url


def test_staff_may_look_but_not_change_owner_settings(client, acme_urls):
    acme, _ = acme_urls
    staff = make_staff(acme)
    client.force_login(staff)
    pages = [
        "branding",
        "portal-address",
        "team",
        "settings/invoicing",
        "settings/ach",
        "settings/account-validation",
        "settings/api-keys",
        "ach/bank",
    ]
    for page in [*pages, "settings/webhooks"]:
        assert client.get(f"/console/{acme.slug}/{page}/").status_code == 200
        assert client.post(f"/console/{acme.slug}/{page}/", {"slug": "acme-new"}).status_code == 403
    acme.refresh_from_db()
    assert acme.slug == "acme-supply"
