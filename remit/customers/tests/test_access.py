import pytest
from django.utils import timezone

from remit.customers import access
from remit.customers.access import AccessError
from remit.customers.models import AccountType, CustomerEvent, CustomerMembership, PortalInvitation, PortalRole
from remit.test import PASSWORD, make_biller, make_customer, make_portal_user
from remit.users.models import User

pytestmark = pytest.mark.django_db


def sign_up(customer, **changes):
    values = {
        "email": customer.billing_emails[0],
        "password": PASSWORD,
        "confirm": PASSWORD,
        "account_type": "personal",
    }
    return access.portal_sign_up(customer=customer, **{**values, **changes})


def test_sign_up_makes_the_first_person_admin_and_sets_the_account_type():
    biller, _ = make_biller()
    customer = make_customer(biller, "Initech", email="pat@initech.example")
    user = sign_up(customer, email="PAT@initech.example", account_type="business")
    assert (user.biller, user.email) == (biller, "pat@initech.example")
    assert CustomerMembership.objects.get(user=user).role == PortalRole.ADMIN
    customer.refresh_from_db()
    assert customer.account_type == AccountType.BUSINESS
    assert CustomerEvent.objects.filter(
        customer=customer, kind=CustomerEvent.Kind.PORTAL_SIGNED_UP, actor=user
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "someone@else.example"}, "email", "one of the addresses the invoice was sent to"),
        ({"account_type": ""}, "account_type", "Select an account type: Personal or Business"),
        ({"password": "password123", "confirm": "password123"}, "password1", "too common"),
        ({"confirm": "something-else-entirely"}, "password2", "not the same"),
    ],
)
def test_sign_up_refusals_name_the_field_and_save_nothing(changes, field, message):
    customer = make_customer(make_biller()[0])
    with pytest.raises(AccessError, match=message) as error:
        sign_up(customer, **changes)
    assert error.value.field == field
    assert not User.objects.filter(biller__isnull=False).exists()


def test_only_the_first_person_signs_up_others_are_invited():
    customer = make_customer(make_biller()[0])
    customer.billing_emails = ["a@x.example", "b@x.example"]
    customer.save()
    sign_up(customer, email="a@x.example")
    with pytest.raises(AccessError, match="has already created the portal login"):
        sign_up(customer, email="b@x.example")


def test_the_same_person_may_sign_up_at_two_billers_separately():
    acme, _ = make_biller("Acme")
    globex, _ = make_biller("Globex")
    first = sign_up(make_customer(acme, email="pat@example.com"))
    second = sign_up(make_customer(globex, email="pat@example.com"))
    assert first.pk != second.pk and (first.biller, second.biller) == (acme, globex)


def test_invite_accept_change_role_and_remove_are_recorded():
    customer = make_customer(make_biller()[0])
    admin = make_portal_user(customer)
    issued = access.colleague_invite(
        customer=customer, actor=admin, email="Sam@X.example", role="member", accept_url="https://p/{token}"
    )
    sam = access.colleague_accept(biller_id=customer.biller_id, token=issued.token, password=PASSWORD, confirm=PASSWORD)
    membership = CustomerMembership.objects.get(user=sam)
    assert membership.role == PortalRole.MEMBER
    access.colleague_set_role(customer=customer, actor=admin, membership_id=membership.pk, role="admin")
    access.colleague_remove(customer=customer, actor=admin, membership_id=membership.pk)
    sam.refresh_from_db()
    assert not sam.is_active and not CustomerMembership.objects.filter(user=sam).exists()
    kinds = list(CustomerEvent.objects.filter(customer=customer).order_by("pk").values_list("kind", "actor"))
    assert [kind for kind, _ in kinds][-4:] == [
        "colleague_invited",
        "colleague_joined",
        "role_changed",
        "colleague_removed",
    ]
    assert kinds[-1][1] == admin.pk


def test_members_cannot_manage_people():
    customer = make_customer(make_biller()[0])
    make_portal_user(customer)
    member = make_portal_user(customer, email="m@x.example", role="member")
    with pytest.raises(AccessError, match="Only an admin"):
        access.colleague_invite(
            customer=customer, actor=member, email="z@x.example", role="admin", accept_url="{token}"
        )


def test_an_admin_of_another_account_cannot_touch_this_one():
    biller, _ = make_biller()
    customer, other = make_customer(biller), make_customer(biller, "Other")
    make_portal_user(customer)
    member = make_portal_user(customer, email="m@x.example", role="member")
    intruder = make_portal_user(other)
    with pytest.raises(AccessError, match="Only an admin"):
        access.colleague_remove(customer=customer, actor=intruder, membership_id=member.customer_membership.pk)


def test_the_last_admin_stays():
    customer = make_customer(make_biller()[0])
    admin = make_portal_user(customer)
    own = admin.customer_membership.pk
    with pytest.raises(AccessError, match="at least one admin"):
        access.colleague_set_role(customer=customer, actor=admin, membership_id=own, role="member")
    with pytest.raises(AccessError, match="at least one admin"):
        access.colleague_remove(customer=customer, actor=admin, membership_id=own)


def test_invitations_work_once_and_expire():
    customer = make_customer(make_biller()[0])
    admin = make_portal_user(customer)
    used = access.colleague_invite(
        customer=customer, actor=admin, email="a@x.example", role="member", accept_url="{token}"
    )
    access.colleague_accept(biller_id=customer.biller_id, token=used.token, password=PASSWORD, confirm=PASSWORD)
    expired = access.colleague_invite(
        customer=customer, actor=admin, email="b@x.example", role="member", accept_url="{token}"
    )
    PortalInvitation.objects.filter(pk=expired.invitation.pk).update(expires_at=timezone.now())
    other_biller = make_biller()[0]
    for token, biller_id in [(used.token, customer.biller_id), (expired.token, customer.biller_id)]:
        with pytest.raises(AccessError, match="no longer valid"):
            access.colleague_accept(biller_id=biller_id, token=token, password=PASSWORD, confirm=PASSWORD)
    fresh = access.colleague_invite(
        customer=customer, actor=admin, email="c@x.example", role="member", accept_url="{token}"
    )
    with pytest.raises(AccessError, match="no longer valid"):  # another biller's portal can't use it
        access.colleague_accept(biller_id=other_biller.pk, token=fresh.token, password=PASSWORD, confirm=PASSWORD)


def test_an_address_with_a_login_elsewhere_at_this_biller_cannot_be_invited():
    biller, _ = make_biller()
    customer, other = make_customer(biller), make_customer(biller, "Other", email="busy@x.example")
    admin = make_portal_user(customer)
    make_portal_user(other)
    with pytest.raises(AccessError, match="already uses this portal for another account"):
        access.colleague_invite(
            customer=customer, actor=admin, email="busy@x.example", role="member", accept_url="{token}"
        )
