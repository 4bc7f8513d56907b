"""An action's refusal in the portal shows at the form field it names, as in the console."""

import pytest
from django.utils.html import escape

from remit.test import make_biller, make_customer, make_portal_user, portal_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    customer = make_customer(make_biller("Acme Supply Co.")[0], "Globex Corporation", email="ap@globex.example")
    user = make_portal_user(customer)
    portal_login(client, user)
    return user


def field_error(html: str, field: str, message: str) -> bool:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{escape(message)}</li></ul>' in html


def test_inviting_someone_who_has_access_is_refused_at_the_email_field(client, admin):
    response = client.post("/acme-supply/people/", {"email": admin.email, "role": "member"})
    assert response.status_code == 200
    form = response.context["form"]
    message = f"{admin.email} already has access."
    assert form.errors == {"email": [message]} and not form.non_field_errors()
    assert field_error(response.content.decode(), "email", message)


def test_a_wrong_two_factor_code_is_refused_at_the_code_field(client, admin):
    client.get("/acme-supply/security/")  # makes the device the code must come from
    response = client.post("/acme-supply/security/", {"code": "000000"})
    form = response.context["form"]
    message = "That code is not right. Check the time on your phone and type the newest code."
    assert form.errors == {"code": [message]}
    assert field_error(response.content.decode(), "code", message)
