"""Every change of the ACH settings leaves one history row: who, when, each changed field before and
after — and never the settlement account number, only its last four digits."""

from datetime import time

import pytest

from remit.ach.actions import AchSettingsError, ach_settings_save
from remit.ach.models import AchSettingsChange
from remit.ach.tests.test_export import ach_fields
from remit.lib.errors import ActionError
from remit.test import make_biller, make_staff

pytestmark = pytest.mark.django_db

ACCOUNT = "987654321012"
OTHER_ACCOUNT = "555566661012"  # the same last four digits as ACCOUNT


def fields(**changes):
    """The export tests' settings, balanced, with a settlement account: one more field that can change."""
    return ach_fields(**{"balanced": True, "settlement_routing": "011000015", "settlement_account": ACCOUNT, **changes})


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.")


def rows_text(change):
    return f"{change.before} {change.after} {change.actor_email}"


def test_the_first_save_writes_one_row_with_every_field(acme):
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=fields())
    change = AchSettingsChange.objects.get()
    assert (change.biller, change.actor, change.actor_email) == (biller, owner, owner.email)
    assert change.is_first
    assert change.after["odfi_routing"] == "111000025"
    assert change.after["company_name"] == "ACME SUPPLY CO"
    assert change.after["settlement_account"] == "••••1012"
    assert "odfi_routing" not in change.before


def test_a_change_writes_one_row_with_the_changed_fields_before_and_after(acme):
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=fields())
    ach_settings_save(
        biller=biller,
        actor=owner,
        fields=fields(company_name="Acme", settlement_days=3, cutoff_time=time(15, 30), settlement_account=""),
    )
    assert AchSettingsChange.objects.count() == 2
    change = AchSettingsChange.objects.all()[0]  # newest first
    assert not change.is_first
    assert change.before == {"company_name": "ACME SUPPLY CO", "settlement_days": 2, "cutoff_time": "16:00"}
    assert change.after == {"company_name": "ACME", "settlement_days": 3, "cutoff_time": "15:30"}


def test_an_unchanged_save_writes_no_row(acme):
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=fields())
    ach_settings_save(biller=biller, actor=owner, fields=fields(settlement_account=""))
    ach_settings_save(biller=biller, actor=owner, fields=fields())  # the same account number typed again
    assert AchSettingsChange.objects.count() == 1


def test_a_new_account_number_is_recorded_masked_even_with_the_same_last_four(acme):
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=fields())
    ach_settings_save(biller=biller, actor=owner, fields=fields(settlement_account=OTHER_ACCOUNT))
    change = AchSettingsChange.objects.all()[0]
    assert change.before == {"settlement_account": "••••1012"}
    assert change.after == {"settlement_account": "••••1012"}
    for change in AchSettingsChange.objects.all():
        assert ACCOUNT not in rows_text(change) and OTHER_ACCOUNT not in rows_text(change)


def test_a_refused_save_writes_no_row(acme):
    biller, owner = acme
    with pytest.raises(AchSettingsError):
        ach_settings_save(biller=biller, actor=owner, fields=fields(company_id="12-345"))
    with pytest.raises(ActionError):  # not an owner
        ach_settings_save(biller=biller, actor=make_staff(biller), fields=fields())
    assert not AchSettingsChange.objects.exists()
