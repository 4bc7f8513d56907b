import pytest

from remit.customers.actions import CustomerError, customer_archive, customer_create, customer_restore, customer_update
from remit.customers.models import Customer, CustomerEvent
from remit.customers.rules import CustomerFields, parse_emails
from remit.customers.selectors import customers_of
from remit.test import make_biller

pytestmark = pytest.mark.django_db


def fields(**changes):
    values = {"name": "Globex Corporation", "billing_emails": ["ap@globex.example"], "reference": "GLX"}
    return CustomerFields(**{**values, **changes})


def test_create_update_archive_restore_each_leave_an_event():
    biller, owner = make_biller()
    customer = customer_create(biller=biller, actor=owner, fields=fields(postal_code="97301", state="OR", city="Salem"))
    assert customer.address_lines == ["Salem, OR 97301"]
    customer = customer_update(customer=customer, actor=owner, fields=fields(name="Globex Corp."))
    assert customer.name == "Globex Corp."
    customer_archive(customer=customer, actor=owner)
    assert not customers_of(biller).exists() and customers_of(biller, archived=True).exists()
    customer_restore(customer=customer, actor=owner)
    kinds = list(CustomerEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert sorted(kinds) == ["archived", "created", "restored", "updated"]


def test_references_are_unique_per_biller_ignoring_case():
    acme, _ = make_biller()
    other, _ = make_biller()
    customer_create(biller=acme, actor=None, fields=fields(reference="GLX"))
    customer_create(biller=other, actor=None, fields=fields(reference="GLX"))  # another biller: fine
    with pytest.raises(CustomerError) as error:
        customer_create(biller=acme, actor=None, fields=fields(reference="glx"))
    assert "already has the reference" in error.value.errors["reference"][0]
    assert Customer.objects.filter(biller=acme).count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "Enter the customer's name"),
        ({"billing_emails": []}, "billing_emails", "at least one billing email"),
        ({"country": "USA"}, "country", "two-letter country code"),
        ({"postal_code": "ABC"}, "postal_code", "ZIP code like 12345"),
    ],
)
def test_bad_input_is_named(changes, field, message):
    biller, _ = make_biller()
    with pytest.raises(CustomerError) as error:
        customer_create(biller=biller, actor=None, fields=fields(**changes))
    assert message in " ".join(error.value.errors[field])
    assert not Customer.objects.exists()


def test_parse_emails():
    assert parse_emails("A@x.com; b@y.com, a@x.com  c@z.org") == (["a@x.com", "b@y.com", "c@z.org"], [])
    assert parse_emails("a@x.com, not-an-email") == (["a@x.com"], ["not-an-email"])


def test_search_by_name_reference_or_email():
    biller, _ = make_biller()
    customer_create(biller=biller, actor=None, fields=fields())
    customer_create(
        biller=biller,
        actor=None,
        fields=fields(name="Initech", reference="INI", billing_emails=["pat@initech.example"]),
    )
    assert [c.name for c in customers_of(biller, search="glob")] == ["Globex Corporation"]
    assert [c.name for c in customers_of(biller, search="INI")] == ["Initech"]
    assert [c.name for c in customers_of(biller, search="pat@initech")] == ["Initech"]
