"""require_owner: the one owner check of every action and console page that only an owner may use."""

import pytest

from remit.billers.permissions import OWNERS_ONLY, require_owner
from remit.lib.errors import ActionError, NotPermitted
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db


def test_an_owner_passes_by_biller_or_by_its_id():
    biller, owner = make_biller()
    require_owner(biller, owner)
    require_owner(biller.pk, owner)


def test_a_staff_member_is_refused_with_the_message_given():
    biller, _ = make_biller()
    staff = make_staff(biller)
    with pytest.raises(NotPermitted) as error:
        require_owner(biller, staff, message="Only an owner can manage webhooks.")
    assert str(error.value) == error.value.message == "Only an owner can manage webhooks."
    assert isinstance(error.value, ActionError) and error.value.field == ""


def test_an_owner_of_another_biller_is_refused():
    biller, _ = make_biller()
    _, outsider = make_biller()
    with pytest.raises(NotPermitted, match=OWNERS_ONLY):
        require_owner(biller, outsider)
    with pytest.raises(NotPermitted):
        require_owner(biller.pk, outsider)


def test_a_staff_member_made_owner_passes():
    biller, _ = make_biller()
    require_owner(biller, make_staff(biller, role="owner"))
