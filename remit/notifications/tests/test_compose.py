import email
import email.policy

import pytest
from django.utils import timezone

from remit.billers.actions import biller_update_branding
from remit.billers.models import StaffInvitation
from remit.lib.images import normalize_logo
from remit.notifications.compose import LOGO_CID, compose
from remit.test import make_biller, parts, png_bytes

pytestmark = pytest.mark.django_db


def _context():
    invitation = StaffInvitation(email="x@example.com", role="staff", expires_at=timezone.now())
    return {"invitation": invitation, "inviter": "Alex", "accept_url": "https://remit.example/accept"}


def test_a_branded_email_has_text_and_html_and_an_inline_logo():
    biller, owner = make_biller("Acme Supply Co.")
    logo = normalize_logo(png_bytes((300, 90)), "logo.png")
    biller = biller_update_branding(biller=biller, actor=owner, brand_color="#c2410c", logo=logo)
    message = compose(to=["x@example.com"], template="staff_invitation", context=_context(), biller=biller).message()

    assert message.get_content_type() == "multipart/alternative"
    text, related = message.get_payload()
    assert text.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, image = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert f'src="cid:{LOGO_CID}"' in html.get_payload(decode=True).decode()
    assert image["Content-ID"] == f"<{LOGO_CID}>"
    assert image.get_payload(decode=True) == logo.png
    assert "#c2410c" in html.get_payload(decode=True).decode()
    assert text.get_payload(decode=True).decode().startswith("Acme Supply Co.")


def test_without_a_logo_the_name_stands_in():
    biller, _ = make_biller("Globex Corporation")
    message = compose(to=["x@example.com"], template="staff_invitation", context=_context(), biller=biller)
    bodies = parts(email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default))
    assert "cid:" not in bodies["text/html"]
    assert "Globex Corporation</div>" in bodies["text/html"]
