import pytest

from remit.customers.models import CustomerMembership
from remit.test import PASSWORD, find_link, make_biller, make_customer, make_portal_user, parts, portal_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def globex():
    customer = make_customer(make_biller("Acme Supply Co.")[0], "Globex Corporation", email="ap@globex.example")
    return customer, make_portal_user(customer)


def test_an_admin_invites_a_colleague_who_joins_from_the_email(client, globex, mailbox, run_on_commit):
    _, admin = globex
    portal_login(client, admin)
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


def test_a_removed_colleague_loses_access_at_once(client, globex):
    customer, admin = globex
    colleague = make_portal_user(customer, email="controller@globex.example", role="member")
    portal_login(client, colleague)
    assert client.get("/acme-supply/").status_code == 200
    membership = CustomerMembership.objects.get(user=colleague)

    from django.test import Client

    admin_client = Client()
    portal_login(admin_client, admin)
    admin_client.post(f"/acme-supply/people/{membership.pk}/remove")

    response = client.get("/acme-supply/invoices/")
    assert response.status_code == 302 and response["Location"].startswith("/acme-supply/signin/")
    assert "You no longer have access to this account." in client.get(response["Location"]).content.decode()
    assert (
        client.post("/acme-supply/signin/", {"email": "controller@globex.example", "password": PASSWORD}).status_code
        == 200
    )


def test_members_see_the_list_but_cannot_manage(client, globex):
    customer, admin = globex
    member = make_portal_user(customer, email="controller@globex.example", role="member")
    portal_login(client, member)
    page = client.get("/acme-supply/people/").content.decode()
    assert "ap@globex.example" in page and "Invite a colleague" not in page
    client.post("/acme-supply/people/", {"email": "x@globex.example", "role": "admin"})
    client.post(f"/acme-supply/people/{admin.customer_membership.pk}/remove")
    assert CustomerMembership.objects.filter(customer=customer).count() == 2
