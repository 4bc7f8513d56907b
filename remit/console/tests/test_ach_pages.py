"""The console's ACH pages: settings (owner only), files and their download, return file uploads and
the reconciliation export — each scoped to the biller in the URL."""

import csv
import io
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from remit.ach.actions import AchFields, ach_settings_save
from remit.ach.bank_sim import returns_for
from remit.ach.export import ach_export
from remit.ach.models import AchEntry, AchReturn, AchSettings, InboundFile
from remit.ach.stored import file_bytes, file_text, outbound_key
from remit.console.forms_ach import AchSettingsForm
from remit.files.store import file_store
from remit.lib import crypto
from remit.payments.actions import payment_schedule
from remit.payments.models import PaymentStatus
from remit.test import (
    make_bank_account,
    make_biller,
    make_customer,
    make_invoice,
    make_portal_user,
    make_staff,
    soonest_pay_on,
)

pytestmark = pytest.mark.django_db

SETTLEMENT_ACCOUNT = "987654321012"
VALID = {
    "odfi_routing": "021000021",
    "immediate_origin": "1234567890",
    "destination_name": "First Bank",
    "origin_name": "Acme Supply",
    "company_name": "Acme Supply",
    "company_id": "1234567890",
    "entry_description": "invoice",
    "cutoff_time": "15:30",
    "time_zone": "America/Chicago",
    "balanced": "on",
    "settlement_routing": "011000015",
    "settlement_account": SETTLEMENT_ACCOUNT,
    "settlement_account_type": "checking",
    "settlement_days": "3",
}


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # outbound files of this test only


@pytest.fixture
def acme(client):
    biller, owner = make_biller("Acme Supply Co.")
    client.force_login(owner)
    return biller, owner


def save_settings(biller, owner):
    fields = AchFields(
        odfi_routing="021000021",
        immediate_origin="1234567890",
        destination_name="First Bank",
        origin_name="Acme Supply",
        company_name="Acme Supply",
        company_id="1234567890",
        cutoff_time=biller.ach_cutoff_time,
        time_zone=biller.time_zone,
    )
    return ach_settings_save(biller=biller, actor=owner, fields=fields)


def sent_file(biller, owner, django_capture_on_commit_callbacks, *, customer_name="Initech", amounts=(12345,)):
    """A file with one payment of ``amounts`` (split across as many invoices) scheduled in the portal."""
    if not AchSettings.objects.filter(biller=biller).exists():
        save_settings(biller, owner)
    customer = make_customer(biller, customer_name)
    invoices = [make_invoice(customer, amount_cents=cents) for cents in amounts]
    payer = make_portal_user(customer)
    account = make_bank_account(payer)
    pay_on = soonest_pay_on(biller)
    payment = payment_schedule(
        payer=payer,
        invoice_ids=[invoice.pk for invoice in invoices],
        bank_account_id=account.pk,
        pay_on=pay_on,
        total_cents=sum(amounts),
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = ach_export(biller=biller, effective_date=pay_on)
    assert result.file is not None
    return result.file, payment


def upload(client, biller, text, name="returns.ach"):
    content = text.encode("ascii") if isinstance(text, str) else text
    return client.post(
        f"/console/{biller.slug}/ach/returns/upload/", {"file": SimpleUploadedFile(name, content)}, follow=True
    )


# --- Settings --------------------------------------------------------------------------------------


def test_owner_saves_ach_settings(client, acme):
    biller, _ = acme
    response = client.post(f"/console/{biller.slug}/settings/ach/", VALID)
    assert response.status_code == 302
    ach = AchSettings.objects.get(biller=biller)
    assert (ach.odfi_routing, ach.company_name, ach.entry_description, ach.settlement_days) == (
        "021000021",
        "ACME SUPPLY",
        "INVOICE",
        3,
    )
    assert ach.balanced and ach.settlement_account_last4 == "1012"
    assert SETTLEMENT_ACCOUNT not in ach.settlement_account_encrypted
    assert crypto.decrypt(ach.settlement_account_encrypted) == SETTLEMENT_ACCOUNT
    biller.refresh_from_db()
    assert (biller.ach_cutoff_time.isoformat(), biller.time_zone) == ("15:30:00", "America/Chicago")
    html = client.get(response["Location"]).content.decode()
    assert "ACH settings saved" in html
    assert SETTLEMENT_ACCOUNT not in html
    assert "••••1012" in html
    assert 'value="021000021"' in html


def test_an_empty_settlement_account_keeps_the_saved_one(client, acme):
    biller, _ = acme
    client.post(f"/console/{biller.slug}/settings/ach/", VALID)
    client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "settlement_account": "", "company_name": "Acme"})
    ach = AchSettings.objects.get(biller=biller)
    assert ach.company_name == "ACME"
    assert crypto.decrypt(ach.settlement_account_encrypted) == SETTLEMENT_ACCOUNT


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"odfi_routing": "021000022"}, "odfi_routing", "routing number doesn"),
        ({"company_id": "12-345"}, "company_id", "company identification is 10 letters or digits"),
        ({"entry_description": "reversal"}, "entry_description", "REVERSAL is reserved by NACHA"),
        ({"settlement_account": ""}, "settlement_account", "Balanced files need the settlement account"),
    ],
)
def test_settings_errors_are_shown_at_their_field(client, acme, changes, field, message):
    biller, _ = acme
    response = client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, **changes})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert SETTLEMENT_ACCOUNT not in html  # a page with an error does not carry the number back
    assert not AchSettings.objects.exists()


def test_a_time_zone_alias_saved_before_stays_a_choice(client, acme):
    biller, _ = acme
    biller.time_zone = "US/Eastern"
    biller.save(update_fields=["time_zone"])
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    assert '<option value="US/Eastern" selected>' in html
    client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "time_zone": "US/Eastern"})
    biller.refresh_from_db()
    assert AchSettings.objects.filter(biller=biller).exists() and biller.time_zone == "US/Eastern"


def test_staff_see_the_settings_but_cannot_change_them(client, acme):
    biller, owner = acme
    save_settings(biller, owner)
    client.force_login(make_staff(biller))
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    assert "Only an owner can change these settings." in html
    assert "Save settings" not in html
    response = client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "company_name": "Staff Was Here"})
    assert response.status_code == 403
    assert AchSettings.objects.get(biller=biller).company_name == "ACME SUPPLY"


def test_the_settings_page_lists_their_history_newest_first(client, acme):
    biller, owner = acme
    client.post(f"/console/{biller.slug}/settings/ach/", VALID)
    client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "settlement_account": "", "company_name": "Acme"})
    new_account = "555566664321"
    client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "settlement_account": new_account})
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    history = html[html.index('id="history-h"') :]
    lines = history.split("<li>")[1:]
    assert len(lines) == 3
    assert f"· {owner.email}: Company name (on your customers&#x27; statements) ACME → ACME SUPPLY" in lines[0]
    assert "; Settlement account number ••••1012 → ••••4321</li>" in lines[0]
    assert "ACME SUPPLY → ACME" in lines[1]
    assert "set up the ACH settings" in lines[2]
    assert SETTLEMENT_ACCOUNT not in html and new_account not in html


def test_every_field_of_the_settings_says_what_it_is(client, acme):
    biller, _ = acme
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    for name, field in AchSettingsForm.base_fields.items():
        assert field.help_text, f"{name} has no help text"
        assert f'id="id_{name}_helptext"' in html, name
    assert "the ODFI" in html and "1 followed by your EIN" in html
    assert 'name="origin_is_routing"' in html


def test_owner_sets_a_routing_number_as_the_immediate_origin(client, acme):
    biller, _ = acme
    client.post(f"/console/{biller.slug}/settings/ach/", VALID)
    routing = {**VALID, "settlement_account": "", "immediate_origin": "011000015", "origin_is_routing": "on"}
    assert client.post(f"/console/{biller.slug}/settings/ach/", routing).status_code == 302
    ach = AchSettings.objects.get(biller=biller)
    assert (ach.immediate_origin, ach.origin_is_routing) == (" 011000015", True)
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    assert 'name="immediate_origin" value="011000015"' in html
    history = html[html.index('id="history-h"') :]
    assert "Immediate origin is a routing number no → yes" in history


def test_nine_digits_as_a_company_origin_are_refused_at_their_field(client, acme):
    biller, _ = acme
    response = client.post(f"/console/{biller.slug}/settings/ach/", {**VALID, "immediate_origin": "011000015"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_immediate_origin_error"' in html
    assert "If your bank asked for a routing number here, tick" in html
    assert not AchSettings.objects.exists()


def test_staff_do_not_see_the_settings_history(client, acme):
    biller, owner = acme
    save_settings(biller, owner)
    client.force_login(make_staff(biller))
    html = client.get(f"/console/{biller.slug}/settings/ach/").content.decode()
    assert 'id="history-h"' not in html and owner.email not in html


# --- Files -----------------------------------------------------------------------------------------


def test_files_are_listed_and_downloaded(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    dashboard = client.get(f"/console/{biller.slug}/").content.decode()
    assert f'href="/console/{biller.slug}/ach/">ACH</a>' in dashboard
    html = client.get(f"/console/{biller.slug}/ach/").content.decode()
    assert f'href="/console/{biller.slug}/ach/" aria-current="page">ACH</a>' in html
    assert record.filename in html
    assert "$123.45" in html
    assert f'title="{record.sha256}"' in html
    assert "1 sent to the bank" in html
    download = f"/console/{biller.slug}/ach/files/{record.pk}/download"
    assert download in html
    response = client.get(download)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="{record.filename}"'
    assert b"".join(response.streaming_content) == file_bytes(record)


def test_a_file_missing_from_the_store_is_a_clear_404(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    file_store().delete(outbound_key(record.filename))  # gone from the store: no other copy is looked for
    response = client.get(f"/console/{biller.slug}/ach/files/{record.pk}/download")
    assert response.status_code == 404
    assert "not in Remit's file store" in response.content.decode()


def test_a_changed_file_is_not_served(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    text = file_text(record)
    assert "ACME SUPPLY" in text
    file_store().save(outbound_key(record.filename), ContentFile(text.replace("ACME SUPPLY", "MALLORY INC").encode()))
    response = client.get(f"/console/{biller.slug}/ach/files/{record.pk}/download")
    assert response.status_code == 409
    assert "changed since Remit wrote it" in response.content.decode()


def test_a_file_store_that_does_not_answer_is_a_clear_503(client, acme, django_capture_on_commit_callbacks, settings):
    from botocore.config import Config

    from conftest import free_port

    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    nobody = f"http://127.0.0.1:{free_port()}"  # an S3 server that is down: nothing listens there
    options = {"bucket_name": "remit", "endpoint_url": nobody, "access_key": "k", "secret_key": "s"}
    options["client_config"] = Config(connect_timeout=1, retries={"max_attempts": 0})
    sealed = {"backend": "storages.backends.s3.S3Storage", "options": options}
    down = {"BACKEND": "remit.files.storage.SealedStorage", "OPTIONS": sealed}
    settings.STORAGES = {**settings.STORAGES, "files": down}
    response = client.get(f"/console/{biller.slug}/ach/files/{record.pk}/download")
    assert response.status_code == 503
    assert "file store did not answer" in response.content.decode()


def test_another_billers_file_is_404(client, acme, django_capture_on_commit_callbacks):
    biller, _ = acme
    other, other_owner = make_biller("Globex Corporation")
    theirs, _ = sent_file(other, other_owner, django_capture_on_commit_callbacks, customer_name="Umbrella")
    assert client.get(f"/console/{biller.slug}/ach/files/{theirs.pk}/download").status_code == 404
    html = client.get(f"/console/{biller.slug}/ach/").content.decode()
    assert theirs.filename not in html and "Umbrella" not in html
    assert client.get(f"/console/{other.slug}/ach/files/{theirs.pk}/download").status_code == 404


# --- Return files ----------------------------------------------------------------------------------


def test_uploading_a_return_file_returns_the_payment(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, payment = sent_file(biller, owner, django_capture_on_commit_callbacks)
    trace = AchEntry.objects.get(payment=payment).trace_number
    text = returns_for(file_text(record), returns={trace: "R01"}, today=date.today())

    response = upload(client, biller, text)
    html = response.content.decode()
    inbound = InboundFile.objects.get()
    assert response.redirect_chain[-1][0] == f"/console/{biller.slug}/ach/returns/{inbound.pk}/"
    assert "returns.ach imported: 1 payment returned, 0 notifications of change applied." in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.RETURNED
    assert AchReturn.objects.get().code == "R01"
    assert "Insufficient funds" in html and trace in html
    assert "Every entry of this file was yours." in html
    files = client.get(f"/console/{biller.slug}/ach/").content.decode()
    assert "1 returned" in files  # the file's payments by status
    assert f"/console/{biller.slug}/ach/returns/{inbound.pk}/" in files  # the imports, each with its page

    again = upload(client, biller, text, name="returns-again.ach").content.decode()
    assert "returns-again.ach was imported before: nothing changed." in again
    assert InboundFile.objects.count() == 1 and AchReturn.objects.count() == 1


def test_a_return_file_is_the_same_file_whatever_its_line_endings(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, payment = sent_file(biller, owner, django_capture_on_commit_callbacks)
    trace = AchEntry.objects.get(payment=payment).trace_number
    text = returns_for(file_text(record), returns={trace: "R01"}, today=date.today())
    records = text.splitlines()
    windows = "\r\n".join(records) + "\r\n"
    assert "imported: 1 payment returned" in upload(client, biller, windows, name="crlf.ach").content.decode()
    for name, same in [("lf.ach", "\n".join(records) + "\n"), ("no-final-newline.ach", "\n".join(records))]:
        html = upload(client, biller, same, name=name).content.decode()
        assert f"{name} was imported before: nothing changed." in html
    assert InboundFile.objects.count() == 1 and AchReturn.objects.count() == 1


def test_a_malformed_return_file_changes_nothing(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, payment = sent_file(biller, owner, django_capture_on_commit_callbacks)
    trace = AchEntry.objects.get(payment=payment).trace_number
    text = returns_for(file_text(record), returns={trace: "R01"}, today=date.today())
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2][:-2] + "\n"  # the entry record loses a character

    response = upload(client, biller, "".join(lines))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line 3: the record is 93 characters long; every record is 94 (read with spaces added at the end:" in html
    assert "is not numeric" in html and "Nothing was imported." in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT
    assert not InboundFile.objects.exists() and not AchReturn.objects.exists()


def test_a_return_file_that_is_not_ascii_is_refused(client, acme):
    biller, _ = acme
    html = upload(client, biller, "101 caf\u00e9\n".encode()).content.decode()
    assert "not plain ASCII text" in html and True
    assert not InboundFile.objects.exists()


def test_another_billers_returns_are_not_imported_here_but_listed_as_not_ours(
    client, acme, django_capture_on_commit_callbacks
):
    biller, _ = acme
    other, other_owner = make_biller("Globex Corporation")
    record, payment = sent_file(other, other_owner, django_capture_on_commit_callbacks)
    trace = AchEntry.objects.get(payment=payment).trace_number
    text = returns_for(file_text(record), returns={trace: "R01"}, today=date.today())
    html = upload(client, biller, text).content.decode()
    assert "returns.ach imported: 0 payments returned, 0 notifications of change applied, 1 entry not yours" in html
    assert f"no payment of yours has the trace number {trace}" in html and "Not ours" in html
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SENT
    # The other biller's console does not show this biller's import.
    inbound = InboundFile.objects.get()
    client.force_login(other_owner)
    assert client.get(f"/console/{other.slug}/ach/returns/{inbound.pk}/").status_code == 404


def test_staff_cannot_upload_return_files(client, acme):
    biller, _ = acme
    client.force_login(make_staff(biller))
    assert (
        "Only an owner can import return files."
        in client.get(f"/console/{biller.slug}/ach/returns/upload/").content.decode()
    )
    response = client.post(f"/console/{biller.slug}/ach/returns/upload/", {"file": SimpleUploadedFile("r.ach", b"x")})
    assert response.status_code == 403


# --- Reconciliation --------------------------------------------------------------------------------


def test_reconciliation_csv_has_a_row_per_entry_and_invoice(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, payment = sent_file(biller, owner, django_capture_on_commit_callbacks, amounts=(10000, 2550))
    other, other_owner = make_biller("Globex Corporation")
    sent_file(other, other_owner, django_capture_on_commit_callbacks, customer_name="Umbrella")
    entry = AchEntry.objects.get(payment=payment)
    numbers = list(payment.allocations.order_by("pk").values_list("invoice__number", flat=True))

    response = client.get(f"/console/{biller.slug}/ach/reconciliation.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "File",
        "Effective date",
        "Batch",
        "Trace number",
        "Customer",
        "Invoice",
        "Amount",
        "Status",
        "Return code",
        "Dishonored return",
    ]
    common = [record.filename, record.effective_date.isoformat(), "1", entry.trace_number, "Initech"]
    assert rows[1:] == [
        [*common, numbers[0], "100.00", "Sent to the bank", "", ""],
        [*common, numbers[1], "25.50", "Sent to the bank", "", ""],
    ]


def test_only_an_owner_downloads_files_they_hold_account_numbers(client, acme, django_capture_on_commit_callbacks):
    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    client.force_login(make_staff(biller))
    html = client.get(f"/console/{biller.slug}/ach/").content.decode()
    assert record.filename in html and "/download" not in html
    refused = client.get(f"/console/{biller.slug}/ach/files/{record.pk}/download")
    assert refused.status_code == 403
    assert "Only an owner can download ACH files" in refused.content.decode()


def test_a_file_the_keys_do_not_open_is_a_clear_503(client, acme, django_capture_on_commit_callbacks, settings):
    from cryptography.fernet import Fernet

    biller, owner = acme
    record, _ = sent_file(biller, owner, django_capture_on_commit_callbacks)
    settings.REMIT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # not the key the file was sealed with
    response = client.get(f"/console/{biller.slug}/ach/files/{record.pk}/download")
    assert response.status_code == 503
    assert "encryption keys don't open this file" in response.content.decode()
