import io

import pytest
from PIL import Image

from remit.billers.models import Biller, BillerEvent, Membership, PreviousSlug
from remit.test import PASSWORD, make_biller, make_staff, png_bytes
from remit.users.models import User

pytestmark = pytest.mark.django_db


def upload(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_signing_up_creates_the_console_and_signs_in(client):
    response = client.post(
        "/console/signup/",
        {"business_name": "Acme Supply Co.", "owner_name": "Alex", "email": "alex@acme.example", "password": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == "/console/acme-supply/"
    page = client.get(response["Location"])
    assert b"http://127.0.0.1:8000/acme-supply/" in page.content


def test_sign_up_errors_are_shown_at_the_field_and_nothing_is_saved(client):
    make_biller(owner_email="taken@example.com")
    response = client.post(
        "/console/signup/",
        {"business_name": "Acme", "owner_name": "Alex", "email": "taken@example.com", "password": PASSWORD},
    )
    assert response.status_code == 200
    assert b'id="id_email_error"' in response.content
    assert b"already exists" in response.content
    assert Biller.objects.count() == 1


def test_wrong_password_is_explained(client):
    make_biller(owner_email="alex@example.com")
    response = client.post("/console/signin/", {"email": "alex@example.com", "password": "wrong"})
    assert b"The email or password is not right" in response.content


def test_sign_in_does_not_redirect_off_site(client):
    make_biller(owner_email="alex@example.com")
    response = client.post(
        "/console/signin/?next=https://evil.example/", {"email": "alex@example.com", "password": PASSWORD}
    )
    assert response["Location"] == "/console/"


def test_uploading_a_logo_and_colour(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    response = client.post(
        "/console/acme-supply/branding/", {"logo": upload(png_bytes((500, 120)), "logo.png"), "brand_color": "#C2410C"}
    )
    assert response.status_code == 302
    biller.refresh_from_db()
    assert biller.has_logo and biller.brand_color == "#c2410c"
    logo = client.get(f"/acme-supply/logo/{biller.logo_version}.png")
    assert logo["Content-Type"] == "image/png"
    assert Image.open(io.BytesIO(b"".join(logo.streaming_content if logo.streaming else [logo.content]))).size == (
        500,
        120,
    )


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (png_bytes(), "logo.jpg", "is named like a JPG file but is a PNG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg", "SVG files are not accepted"),
        (png_bytes()[:60], "logo.png", "damaged or incomplete"),
        (b"GIF89a but not really", "logo.gif", "not an image Remit can read"),
    ],
)
def test_a_bad_logo_gets_a_form_error_and_changes_nothing(client, data, name, message):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    response = client.post("/console/acme-supply/branding/", {"logo": upload(data, name), "brand_color": "#000000"})
    assert response.status_code == 200
    assert message in response.content.decode()
    biller.refresh_from_db()
    assert not biller.has_logo and biller.brand_color == "#1d5c8d"
    assert not BillerEvent.objects.filter(kind=BillerEvent.Kind.BRANDING_CHANGED).exists()


def test_changing_the_portal_address(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    response = client.post("/console/acme-supply/portal-address/", {"slug": "acme", "save_slug": "1"})
    assert response["Location"] == "/console/acme/portal-address/"
    assert PreviousSlug.objects.filter(slug="acme-supply", biller=biller).exists()
    # Old console bookmarks follow the biller too.
    assert client.get("/console/acme-supply/team/")["Location"] == "/console/acme/team/"


def test_a_refused_address_is_explained_at_the_field(client):
    _, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    response = client.post("/console/acme-supply/portal-address/", {"slug": "admin", "save_slug": "1"})
    assert "“admin” is reserved by Remit" in response.content.decode()
    response = client.post("/console/acme-supply/portal-address/", {"custom_domain": "http://x", "save_domain": "1"})
    assert "Enter the domain name only" in response.content.decode()


def test_the_own_domain_section_says_where_to_point_the_domain(client):
    _, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    page = client.get("/console/acme-supply/portal-address/").content.decode()
    assert "<code>CNAME</code> record to <code>127.0.0.1</code>" in page


def test_inviting_and_removing_staff(client, mailbox, run_on_commit):
    _biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    with run_on_commit(execute=True):
        response = client.post("/console/acme-supply/team/", {"email": "sam@example.com", "role": "staff"})
    assert response.status_code == 302
    [invitation_email] = mailbox()
    link = next(
        line for line in invitation_email.get_body(("plain",)).get_content().splitlines() if "/invitations/" in line
    )
    path = link.strip().removeprefix("http://127.0.0.1:8000")

    client.logout()
    page = client.get(path)
    assert b"Join Acme Supply Co. on Remit" in page.content
    response = client.post(path, {"full_name": "Sam Staff", "password": PASSWORD})
    assert response["Location"] == "/console/acme-supply/"
    sam = User.objects.console().get(email="sam@example.com")
    assert client.get("/console/acme-supply/").status_code == 200

    client.force_login(owner)
    membership = Membership.objects.get(user=sam)
    client.post(f"/console/acme-supply/team/{membership.pk}/remove")
    client.force_login(sam)
    assert client.get("/console/acme-supply/").status_code == 404  # access is gone at once


def test_a_used_invitation_link_explains_itself(client):
    biller, _ = make_biller()
    make_staff(biller)
    response = client.get("/console/invitations/not-a-real-token")
    assert response.status_code == 404
    assert b"This invitation is no longer valid" in response.content


def test_console_sign_in_locks_after_repeated_wrong_passwords(client):
    make_biller(owner_email="alex@example.com")
    for _ in range(5):
        client.post("/console/signin/", {"email": "alex@example.com", "password": "wrong"})
    locked = client.post("/console/signin/", {"email": "alex@example.com", "password": PASSWORD})
    assert "Too many wrong passwords for this account" in locked.content.decode()
