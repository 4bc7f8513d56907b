import pytest
from django.apps import apps
from django.db.models import F
from django.utils import timezone

from remit.billers.models import Biller, Membership, Role
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.ledger.status import InvoiceStatus
from remit.payments.models import Receipt
from remit.site.demo import ACME_OWNER, ACME_SLUG, DEMO_PASSWORD, load_demo
from remit.test import parts
from remit.users.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    """The demo's simulated bank keeps its keys in $REMIT_DATA_DIR/bank-sim: a folder of the test's own."""
    settings.DATA_DIR = tmp_path / "data"


def _snapshot():
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in apps.get_models()}


def test_it_loads_acme_with_a_logo_and_its_owner():
    assert load_demo()
    acme = Biller.objects.get(slug=ACME_SLUG)
    assert acme.name == "Acme Supply Co." and acme.has_logo
    owner = User.objects.console().get(email=ACME_OWNER)
    assert owner.check_password(DEMO_PASSWORD)
    assert Membership.objects.get(biller=acme, user=owner).role == Role.OWNER


def test_globex_and_initech_have_a_mix_of_invoices_and_initechs_open_ones_were_emailed(mailbox, run_on_commit):
    with run_on_commit(execute=True):
        load_demo()
    today = timezone.localdate()
    acme = Biller.objects.get(slug=ACME_SLUG)
    for reference, email in [("GLOBEX", "ap@globex.example"), ("INITECH", "pat@initech.example")]:
        customer = Customer.objects.get(biller=acme, reference=reference)
        assert customer.billing_emails == [email]
        statuses = {invoice.status_on(today) for invoice in customer.invoices.all()}
        assert {InvoiceStatus.PAID, InvoiceStatus.OVERDUE} <= statuses
        assert statuses & {InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID}
    initech_open = Invoice.objects.filter(customer__reference="INITECH").exclude(paid_cents__gte=F("total_cents"))
    assert all(invoice.sends.exists() for invoice in initech_open)
    to_initech = [m for m in mailbox() if m["To"] == "pat@initech.example"]
    delivered = [m for m in to_initech if not m["Subject"].startswith("Receipt R-")]
    assert len(delivered) == initech_open.count()
    # The payments Acme recorded for Initech (no portal people yet): receipts at its billing address.
    receipts = Receipt.objects.filter(payment__customer__reference="INITECH").count()
    assert receipts and len(to_initech) - len(delivered) == receipts
    assert all("Pay Invoice Electronically" in parts(m)["text/plain"] for m in delivered)


def test_running_it_again_changes_nothing():
    load_demo()
    before = _snapshot()
    assert load_demo() == []
    assert _snapshot() == before


def test_the_demo_owner_can_sign_in(client):
    load_demo()
    response = client.post("/console/signin/", {"email": ACME_OWNER, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == f"/console/{ACME_SLUG}/"


def test_acme_is_connected_to_the_simulated_bank_with_its_key_and_the_banks_host_key(settings):
    from remit.ach.bank_sim_sftp import ensure_host_key
    from remit.bank.models import BankConnection
    from remit.site.demo import demo_bank_folder

    load_demo()
    connection = BankConnection.objects.get(biller__slug=ACME_SLUG)
    assert connection.ready and connection.port == settings.REMIT_BANK_SIM_PORT
    assert connection.host_key == ensure_host_key(demo_bank_folder())
    assert connection.ssh_public_key in (demo_bank_folder() / "authorized_keys").read_text()


def test_acme_validates_by_micro_entries_globexs_account_is_validated_and_initechs_first_goes_through_it():
    from remit.payments.models import AccountValidation, Payment, ValidationStatus
    from remit.payments.validation import current_choice
    from remit.test import make_bank_account, make_portal_user

    load_demo()
    acme = Biller.objects.get(slug=ACME_SLUG)
    choice = current_choice(acme.pk)
    assert choice is not None and choice.method == "micro_entries" and choice.chosen_by_email == ACME_OWNER
    globex = Customer.objects.get(biller=acme, reference="GLOBEX")
    [account] = globex.bank_accounts.all()
    assert AccountValidation.objects.get(bank_account=account).status == ValidationStatus.VALIDATED
    assert account.debits_from is not None
    assert Payment.objects.filter(customer=globex, status="sent").exists()  # the demo's first file sent it
    initech = Customer.objects.get(biller=acme, reference="INITECH")
    Customer.objects.filter(pk=initech.pk).update(account_type="business")
    first = make_bank_account(make_portal_user(initech, email="pat@initech.example"))
    assert first.debits_from is None
    assert AccountValidation.objects.get(bank_account=first).status == ValidationStatus.PENDING


def test_acmes_review_queue_shows_a_payment_held_by_its_risk_rules(client):
    load_demo()
    owner = User.objects.get(email=ACME_OWNER)
    client.force_login(owner)
    page = client.get(f"/console/{ACME_SLUG}/review/").content.decode()
    assert "Globex Corporation" in page and "Auto Pay&#x27;s account became ••••6789" in page
    assert load_demo() == []  # loaded twice: nothing held twice


def test_acme_reminds_recurs_sends_statements_and_has_given_a_credit():
    from remit.payments.models import Credit
    from remit.recurring.models import RecurringInvoice
    from remit.reminders.models import ReminderStep
    from remit.statements.models import MonthlyStatements

    load_demo()
    acme = Biller.objects.get(slug=ACME_SLUG)
    assert sorted(ReminderStep.objects.filter(biller=acme).values_list("offset_days", flat=True)) == [-3, 0, 7, 30]
    [template] = RecurringInvoice.objects.filter(customer__reference="GLOBEX")
    assert (template.frequency, template.delivery, template.count) == ("monthly", "review", 12)
    assert MonthlyStatements.objects.get(customer__reference="INITECH").enabled
    [credit] = Credit.objects.filter(customer__reference="INITECH")
    assert (credit.amount_cents, credit.unapplied_cents) == (2500, 2500)
