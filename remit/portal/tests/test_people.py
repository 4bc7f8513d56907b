import pytest

from remit.customers.models import CustomerMembership, PortalInvitation
from remit.test import PASSWORD, find_link, parts, portal_login

pytestmark = pytest.mark.django_db


def test_an_admin_invites_a_colleague_who_joins_from_the_email(client, world, mailbox, run_on_commit):
    portal_login(client, world.admin)
    with run_on_commit(execute=True):
        response = client.post("/acme-supply/people/", {"email": "controller@globex.example", "role": "member"})
    assert response["Location"] == "/acme-supply/people/"
    [message] = mailbox()
    assert (
        message["Subject"] == "ap@globex.example gave you access to Globex Corporation's account with Acme Supply Co."
    )
    link = find_link(parts(message)["text/plain"], "/invitations/").removeprefix("http://127.0.0.1:8000")
    client.post("/acme-supply/signout/")
    page = client.get(link).content.decode()
    assert "Join Globex Corporation" in page
    joined = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert joined["Location"] == "/acme-supply/"
    assert "Globex Corporation" in client.get("/acme-supply/").content.decode()
    assert CustomerMembership.objects.get(user__email="controller@globex.example").role == "member"


def test_a_removed_colleague_loses_access_at_once(client, world):
    portal_login(client, world.member)
    assert client.get("/acme-supply/").status_code == 200
    membership = CustomerMembership.objects.get(user=world.member)

    from django.test import Client

    admin_client = Client()
    portal_login(admin_client, world.admin)
    admin_client.post(f"/acme-supply/people/{membership.pk}/remove")

    response = client.get("/acme-supply/invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/acme-supply/signin/")
    assert "You no longer have access to this account." in client.get(response["Location"]).content.decode()
    assert (
        client.post("/acme-supply/signin/", {"email": "clerk@globex.example", "password": PASSWORD}).status_code == 200
    )


def test_members_see_the_list_but_cannot_manage(client, world):
    portal_login(client, world.member)
    page = client.get("/acme-supply/people/").content.decode()
    assert "ap@globex.example" in page and "Invite a colleague" not in page
    client.post("/acme-supply/people/", {"email": "x@globex.example", "role": "admin"})
    client.post(f"/acme-supply/people/{world.admin.customer_membership.pk}/remove")
    members = CustomerMembership.objects.filter(customer=world.customer).values_list("user__email", flat=True)
    assert sorted(members) == ["ap@globex.example", "clerk@globex.example"]
    assert not PortalInvitation.objects.filter(email="x@globex.example").exists()
