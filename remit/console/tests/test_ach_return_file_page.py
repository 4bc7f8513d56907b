"""An import's page in the console: what the return file did, with the entries that are not the
biller's listed so that each can be found at the bank; returned offsets and dishonored returns also on
the ACH files page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from remit.ach.models import InboundFile
from remit.ach.tests.corpus import CORPUS, OFFSET_TRACE, build_world
from remit.test import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(run_on_commit):
    return build_world(run_on_commit)


def upload(client, world, name):
    content = (CORPUS / name).read_bytes()
    url = f"/console/{world.acme.slug}/ach/returns/upload/"
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)


def test_the_import_page_lists_what_is_not_ours_with_what_identifies_it(client, world):
    client.force_login(world.owner)
    response = upload(client, world, "not-ours-mixed.ach")
    inbound = InboundFile.objects.get()
    assert response.redirect_chain[-1][0] == f"/console/{world.acme.slug}/ach/returns/{inbound.pk}/"
    html = response.content.decode()
    assert "1 payment returned" in html and "4 entries not yours, left alone" in html
    for shown in (
        "OTHER CO",  # company name
        "9876543210",  # company identification
        "021000020000001",  # its trace
        "021000020000417",  # the original trace it answers
        "$19.99",
        "R10",
        "no payment of yours has the trace number 021000020000418",
        "a forward credit, not a return or notification of change",
        "$1,500.00",
    ):
        assert shown in html, shown
    assert "Globex Corporation" in html and "$45.00" in html  # Acme's own return, above


def test_a_returned_offset_is_shown_on_the_import_and_on_the_files_page(client, world):
    client.force_login(world.owner)
    html = upload(client, world, "moov-return-web.ach").content.decode()
    assert "1 offset returned" in html and "Returned offsets" in html
    assert world.file.filename in html and OFFSET_TRACE in html and "$495.00" in html
    files = client.get(f"/console/{world.acme.slug}/ach/").content.decode()
    assert "offset returned" in files and "Returned offsets" in files and "No account, or unable to locate" in files


def test_dishonored_returns_are_shown_with_what_remit_did(client, world):
    client.force_login(world.owner)
    upload(client, world, "r01-plain.ach")
    html = upload(client, world, "dishonored-r68.ach").content.decode()
    assert "1 dishonored or contested return, 1 payment restored" in html
    assert "Payment restored" in html and "The payment stands: settled again" in html
    files = client.get(f"/console/{world.acme.slug}/ach/").content.decode()
    assert "Dishonored and contested returns" in files and "R68 dishonored return: payment restored" in files


def test_staff_see_an_import_page_too(client, world):
    client.force_login(world.owner)
    upload(client, world, "r01-plain.ach")
    client.force_login(make_staff(world.acme))
    inbound = InboundFile.objects.get()
    assert "Insufficient funds" in client.get(f"/console/{world.acme.slug}/ach/returns/{inbound.pk}/").content.decode()
