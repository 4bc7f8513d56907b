import pytest

from remit.billers.actions import BillerError, biller_sign_up
from remit.billers.models import Biller, BillerEvent, Membership, Role
from remit.test import PASSWORD, make_biller
from remit.users.models import User

pytestmark = pytest.mark.django_db


def test_it_creates_the_biller_its_owner_and_a_suggested_address():
    biller, owner = biller_sign_up(
        business_name="  Acme   Supply Co. ", owner_name="Alex", email="Alex@Example.com", password=PASSWORD
    )
    assert biller.name == "Acme Supply Co."
    assert biller.slug == "acme-supply"
    assert owner.email == "alex@example.com" and owner.is_console_user
    assert Membership.objects.get(biller=biller, user=owner).role == Role.OWNER
    assert BillerEvent.objects.filter(biller=biller, kind=BillerEvent.Kind.SIGNED_UP, actor=owner).exists()


def test_two_billers_with_the_same_name_get_distinct_addresses():
    first, _ = make_biller("Acme Supply Co.")
    second, _ = make_biller("Acme Supply Co.")
    assert (first.slug, second.slug) == ("acme-supply", "acme-supply-2")


def test_a_taken_email_is_refused_and_nothing_is_saved():
    make_biller(owner_email="taken@example.com")
    billers, users = Biller.objects.count(), User.objects.count()
    with pytest.raises(BillerError, match="already exists") as error:
        biller_sign_up(business_name="Other", owner_name="O", email="TAKEN@example.com", password=PASSWORD)
    assert error.value.field == "email"
    assert (Biller.objects.count(), User.objects.count()) == (billers, users)


def test_a_weak_password_is_refused_and_nothing_is_saved():
    with pytest.raises(BillerError, match=r"too common|too short") as error:
        biller_sign_up(business_name="Acme", owner_name="A", email="a@example.com", password="password")
    assert error.value.field == "password"
    assert not Biller.objects.exists() and not User.objects.exists()


def test_a_console_email_may_also_be_a_portal_login_elsewhere():
    biller, _ = make_biller()
    User.objects.create_user("same@example.com", PASSWORD, biller=biller)
    _, owner = biller_sign_up(business_name="Mine", owner_name="M", email="same@example.com", password=PASSWORD)
    assert owner.is_console_user
