"""Opting out and back in: once, recorded, normalised."""

from typing import Any

import pytest

from remit.notifications.categories import EmailCategory
from remit.notifications.models import EmailOptOut, EmailPreferenceChange, OptOutHow
from remit.notifications.preferences import PreferenceError, email_opt_in, email_opt_out, email_preferences_save
from remit.test import make_biller

pytestmark = pytest.mark.django_db


def test_opting_out_twice_or_in_without_an_opt_out_changes_and_records_nothing():
    biller, _ = make_biller()
    args: dict[str, Any] = {"biller": biller, "address": " AP@globex.example ", "category": EmailCategory.STATEMENTS}
    assert email_opt_out(**args, how=OptOutHow.LINK_PAGE)
    assert not email_opt_out(**args, how=OptOutHow.ONE_CLICK)
    [row] = EmailOptOut.objects.all()
    assert (row.address, row.how) == ("ap@globex.example", OptOutHow.LINK_PAGE)
    assert email_opt_in(**args, how=OptOutHow.LINK_PAGE)
    assert not email_opt_in(**args, how=OptOutHow.LINK_PAGE)
    assert not EmailOptOut.objects.exists()
    history = list(EmailPreferenceChange.objects.order_by("pk").values_list("opted_out", "how"))
    assert history == [(True, OptOutHow.LINK_PAGE), (False, OptOutHow.LINK_PAGE)]


def test_an_unknown_category_or_a_non_address_is_refused_and_nothing_is_saved():
    biller, _ = make_biller()
    with pytest.raises(PreferenceError, match="no kind of email"):
        email_opt_out(biller=biller, address="ap@globex.example", category="newsletters", how=OptOutHow.LINK_PAGE)
    with pytest.raises(PreferenceError, match="email address"):
        email_opt_out(biller=biller, address="nobody", category="reminders", how=OptOutHow.LINK_PAGE)
    with pytest.raises(PreferenceError, match="no kind of email"):
        email_preferences_save(biller=biller, address="ap@globex.example", receive=["newsletters"], actor=None)
    assert not EmailOptOut.objects.exists() and not EmailPreferenceChange.objects.exists()
