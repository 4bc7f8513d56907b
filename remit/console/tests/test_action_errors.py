"""An action's refusal in the console: at the field it names, above the form otherwise, and a 403
page that says why when only an owner may do it."""

import pytest
from django.utils.html import escape

from remit.api.actions import MAX_ACTIVE_KEYS, api_key_create
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


def field_error(html: str, field: str, message: str) -> bool:
    return f'<ul class="errorlist" id="id_{field}_error"><li>{escape(message)}</li></ul>' in html


def test_an_actions_field_error_shows_on_its_field(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    response = client.post(
        f"/console/{biller.slug}/settings/webhooks/",
        {"url": "http://hooks.example.com/remit", "events": ["invoice.paid"]},
    )
    assert response.status_code == 200
    form = response.context["form"]
    [message] = form.errors["url"]
    assert "Use https://" in message and not form.non_field_errors()
    assert field_error(response.content.decode(), "url", message)


def test_an_actions_error_without_a_field_shows_above_the_form(client):
    biller, owner = make_biller("Acme Supply Co.")
    for number in range(MAX_ACTIVE_KEYS):
        api_key_create(biller=biller, actor=owner, name=f"Sync {number}")
    client.force_login(owner)
    response = client.post(f"/console/{biller.slug}/settings/api-keys/", {"name": "One too many"})
    assert response.status_code == 200
    form = response.context["form"]
    message = f"A business can have at most {MAX_ACTIVE_KEYS} active keys. Revoke one first."
    assert form.non_field_errors() == [message] and "name" not in form.errors
    assert escape(message) in response.content.decode()


def test_staff_posting_to_an_owners_page_get_a_403_that_says_why(client):
    biller, _ = make_biller("Acme Supply Co.")
    client.force_login(make_staff(biller))
    response = client.post(f"/console/{biller.slug}/settings/webhooks/", {"url": "https://hooks.example.com/"})
    assert response.status_code == 403
    assert "Only an owner of this business can change this." in response.content.decode()
