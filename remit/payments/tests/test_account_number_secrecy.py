"""A bank account number typed in the portal is stored only encrypted: after the whole flow (the form,
its error pages, the list, the remove confirmation) its digits are in no table, no database file, no
log line (SQL included), no page and no email."""

import email
import email.policy
import logging
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from remit.lib import crypto
from remit.notifications.models import OutboundEmail
from remit.payments.models import BankAccount
from remit.test import make_biller, make_customer, make_portal_user, portal_login

# Committed for real (not rolled back at the end of the test), so the database file holds the rows.
pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "987654321012"
NEW = "/acme-supply/bank-accounts/new/"
FORM = {
    "holder_name": "Globex Corporation",
    "routing_number": "011000015",
    "account_number": NUMBER,
    "account_number_confirm": NUMBER,
    "account_type": "checking",
    "accept_terms": "on",
}


def text_of(value):
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def walk_the_flow(client):
    """Every page a person sees on the way, including the ones that re-show the form after a mistake."""
    pages = [client.get(NEW)]
    pages.append(client.post(NEW, {**FORM, "account_number_confirm": "987654321013"}))
    pages.append(client.post(NEW, {**FORM, "routing_number": "011000016"}))
    pages.append(client.post(NEW, {**FORM, "accept_terms": ""}))
    saved = client.post(NEW, FORM, follow=True)
    assert saved.redirect_chain, saved.content.decode()
    pages.append(saved)
    pages.append(client.post(NEW, FORM))  # the duplicate
    account = BankAccount.objects.get()
    pages.append(client.get(f"/acme-supply/bank-accounts/{account.pk}/remove/"))
    pages.append(client.get("/acme-supply/bank-accounts/"))
    assert all(page.status_code == 200 for page in pages)
    return [page.content.decode() for page in pages], account


def rows_of_every_model():
    for model in apps.get_models(include_auto_created=True):
        for row in model._default_manager.values():
            for field, value in row.items():
                yield f"{model._meta.label}.{field}", text_of(value)


def rows_of_every_table():
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")
            for row in cursor.fetchall():
                for value in row:
                    yield table, text_of(value)


def database_files():
    if connection.vendor != "sqlite":
        return []
    name = Path(connection.settings_dict["NAME"])
    return [path for path in (name, Path(f"{name}-wal"), Path(f"{name}-journal")) if path.exists()]


def email_texts(mailbox):
    raws = [bytes(raw) for raw in OutboundEmail.objects.values_list("raw", flat=True)]
    for raw in raws:
        yield raw.decode("utf-8", "replace")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.walk():
            if not part.is_multipart():
                yield text_of(part.get_payload(decode=True) or b"")
    for message in mailbox():
        yield message.as_string()


def test_the_account_number_is_nowhere_but_encrypted(settings, caplog, mailbox, run_on_commit):
    # DEBUG makes Django log every SQL statement with its parameters: the INSERT must carry only ciphertext.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    acme, _ = make_biller("Acme Supply Co.")
    customer = make_customer(acme, "Globex Corporation", email="ap@globex.example")
    with run_on_commit(execute=True):
        admin = make_portal_user(customer)
        make_portal_user(customer, email="clerk@globex.example", role="member")  # an invitation email
    client = Client()
    portal_login(client, admin)

    pages, account = walk_the_flow(client)

    assert crypto.decrypt(account.account_number_encrypted) == NUMBER
    assert any("payments_bankaccount" in r.getMessage() and "INSERT" in r.getMessage() for r in caplog.records)
    for number, page in enumerate(pages):
        assert NUMBER not in page, f"page {number}"
    assert "••••1012" in pages[-1]
    for where, value in rows_of_every_model():
        assert NUMBER not in value, where
    for table, value in rows_of_every_table():
        assert NUMBER not in value, table
    for session in Session.objects.all():
        assert NUMBER not in str(session.get_decoded())
    for path in database_files():
        assert NUMBER.encode() not in path.read_bytes(), path
    for record in caplog.records:
        assert NUMBER not in record.getMessage()
    assert NUMBER not in caplog.text
    mails = list(email_texts(mailbox))
    assert mails, "the invitation email should have been checked too"
    for text in mails:
        assert NUMBER not in text
