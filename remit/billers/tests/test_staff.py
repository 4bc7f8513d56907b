import pytest
from django.utils import timezone

from remit.billers.actions import (
    BillerError,
    staff_invitation_accept,
    staff_invitation_revoke,
    staff_invite,
    staff_remove,
)
from remit.billers.models import BillerEvent, Membership, Role, StaffInvitation
from remit.lib.errors import NotPermitted
from remit.test import PASSWORD, make_biller, make_staff, parts

pytestmark = pytest.mark.django_db


def test_an_invitation_is_emailed_with_a_link_that_joins_the_team(run_on_commit, mailbox):
    biller, owner = make_biller("Acme Supply Co.")
    with run_on_commit(execute=True):
        issued = staff_invite(biller=biller, actor=owner, email="Sam@Example.com", role=Role.STAFF)
    assert StaffInvitation.objects.get().token_hash != issued.token  # only the hash is stored
    [message] = mailbox()
    assert message["To"] == "sam@example.com"
    assert "invited you to Acme Supply Co." in message["Subject"]
    text = parts(message)["text/plain"]
    assert f"/console/invitations/{issued.token}" in text
    membership, user = staff_invitation_accept(token=issued.token, full_name="Sam", password=PASSWORD)
    assert membership.role == Role.STAFF and user.email == "sam@example.com"
    kinds = set(BillerEvent.objects.values_list("kind", flat=True))
    assert {BillerEvent.Kind.STAFF_INVITED, BillerEvent.Kind.STAFF_JOINED} <= kinds


def test_an_invitation_works_once():
    biller, owner = make_biller()
    issued = staff_invite(biller=biller, actor=owner, email="sam@example.com", role=Role.STAFF)
    staff_invitation_accept(token=issued.token, full_name="Sam", password=PASSWORD)
    with pytest.raises(BillerError, match="no longer valid"):
        staff_invitation_accept(token=issued.token, full_name="Sam", password=PASSWORD)


def test_revoked_and_expired_invitations_do_not_work():
    biller, owner = make_biller()
    revoked = staff_invite(biller=biller, actor=owner, email="r@example.com", role=Role.STAFF)
    staff_invitation_revoke(invitation=revoked.invitation, actor=owner)
    expired = staff_invite(biller=biller, actor=owner, email="e@example.com", role=Role.STAFF)
    StaffInvitation.objects.filter(pk=expired.invitation.pk).update(expires_at=timezone.now())
    for issued in (revoked, expired):
        with pytest.raises(BillerError, match="no longer valid"):
            staff_invitation_accept(token=issued.token, full_name="X", password=PASSWORD)
    assert Membership.objects.filter(biller=biller).count() == 1


def test_a_new_invitation_replaces_the_open_one():
    biller, owner = make_biller()
    first = staff_invite(biller=biller, actor=owner, email="sam@example.com", role=Role.STAFF)
    staff_invite(biller=biller, actor=owner, email="sam@example.com", role=Role.OWNER)
    with pytest.raises(BillerError, match="no longer valid"):
        staff_invitation_accept(token=first.token, full_name="Sam", password=PASSWORD)


def test_an_existing_console_user_accepts_while_signed_in_as_that_address():
    acme, acme_owner = make_biller()
    _other, other_owner = make_biller()
    issued = staff_invite(biller=acme, actor=acme_owner, email=other_owner.email, role=Role.STAFF)
    with pytest.raises(BillerError, match="already have a console account"):
        staff_invitation_accept(token=issued.token, full_name="X", password=PASSWORD)
    with pytest.raises(BillerError, match="This invitation is for"):
        staff_invitation_accept(token=issued.token, user=acme_owner)
    membership, _ = staff_invitation_accept(token=issued.token, user=other_owner)
    assert membership.biller == acme


def test_staff_cannot_invite_or_remove():
    biller, _ = make_biller()
    staff = make_staff(biller)
    with pytest.raises(NotPermitted, match="Only an owner can manage the team"):
        staff_invite(biller=biller, actor=staff, email="x@example.com", role=Role.OWNER)
    with pytest.raises(NotPermitted, match="Only an owner can manage the team"):
        staff_remove(biller=biller, actor=staff, membership_id=Membership.objects.get(user=staff).pk)


def test_the_last_owner_cannot_be_removed_but_staff_can():
    biller, owner = make_biller()
    staff = make_staff(biller)
    with pytest.raises(BillerError, match="at least one owner"):
        staff_remove(biller=biller, actor=owner, membership_id=Membership.objects.get(user=owner).pk)
    staff_remove(biller=biller, actor=owner, membership_id=Membership.objects.get(user=staff).pk)
    assert not Membership.objects.filter(user=staff).exists()
    assert BillerEvent.objects.filter(kind=BillerEvent.Kind.STAFF_REMOVED, data__email=staff.email).exists()


def test_an_owner_cannot_remove_someone_from_another_biller():
    acme, acme_owner = make_biller()
    other, _ = make_biller()
    other_staff = make_staff(other)
    with pytest.raises(BillerError, match="not on the team"):
        staff_remove(biller=acme, actor=acme_owner, membership_id=Membership.objects.get(user=other_staff).pk)
    assert Membership.objects.filter(user=other_staff).exists()
