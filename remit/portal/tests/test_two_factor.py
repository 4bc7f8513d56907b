import re
import time

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from remit.customers.models import CustomerEvent
from remit.test import PASSWORD, make_biller, make_customer, make_portal_user, portal_login

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


@pytest.fixture
def pat(client):
    customer = make_customer(make_biller("Acme Supply Co.")[0], email="pat@initech.example")
    user = make_portal_user(customer)
    portal_login(client, user)
    return user


def turn_on(client, user) -> list[str]:
    page = client.get("/acme-supply/security/").content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "Turn on two-factor sign-in" in page
    wrong = client.post("/acme-supply/security/", {"code": "000000"}).content.decode()
    assert "That code is not right" in wrong
    done = client.post("/acme-supply/security/", {"code": code_for(device)}).content.decode()
    return re.findall(r"<li><code>([0-9a-f]{8})</code></li>", done)


def test_turning_it_on_then_signing_in_needs_a_code(client, pat):
    codes = turn_on(client, pat)
    assert len(codes) == 10
    assert CustomerEvent.objects.filter(kind=CustomerEvent.Kind.TWO_FACTOR_CHANGED, data__enabled=True).exists()
    client.post("/acme-supply/signout/")

    step = client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
    assert step["Location"] == "/acme-supply/signin/code/"
    assert client.get("/acme-supply/")["Location"].startswith("/acme-supply/signin/")  # not signed in yet
    assert "That code is not right" in client.post(step["Location"], {"code": "123456"}).content.decode()
    device = TOTPDevice.objects.get(user=pat, confirmed=True)
    # Half a minute later: past django-otp's slow-down after the wrong code, and a new code period
    # (a code that was already used, as in the confirmation, never works twice).
    with time_machine.travel(time.time() + 35, tick=False):
        done = client.post(step["Location"], {"code": code_for(device)})
        assert done["Location"] == "/acme-supply/"
        assert client.get("/acme-supply/").status_code == 200


def test_a_backup_code_works_once(client, pat):
    codes = turn_on(client, pat)
    client.post("/acme-supply/signout/")
    for attempt in range(2):
        client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})
        response = client.post("/acme-supply/signin/code/", {"code": codes[0]})
        if attempt == 0:
            assert response["Location"] == "/acme-supply/"
            client.post("/acme-supply/signout/")
        else:
            assert "That code is not right" in response.content.decode()


def test_turning_it_off_needs_the_password(client, pat):
    turn_on(client, pat)
    assert "Your password is not right" in client.post("/acme-supply/security/", {"password": "nope"}).content.decode()
    client.post("/acme-supply/security/", {"password": PASSWORD})
    assert not TOTPDevice.objects.filter(user=pat).exists()
    client.post("/acme-supply/signout/")
    assert (
        client.post("/acme-supply/signin/", {"email": "pat@initech.example", "password": PASSWORD})["Location"]
        == "/acme-supply/"
    )


def test_the_code_step_without_a_password_first_goes_back_to_sign_in(client):
    make_biller("Acme Supply Co.")
    assert client.get("/acme-supply/signin/code/")["Location"] == "/acme-supply/signin/"
