"""The immediate origin: the 10 characters the bank gave the biller (often 1 + EIN), or, when the bank
asks for one (moov-io/ach's RequireABAOrigin), a routing number with a right check digit, saved as
a blank and its 9 digits. The choice is a setting like the others: checked, and every change audited."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps

from remit.ach.actions import AchSettingsError, ach_settings_save
from remit.ach.models import AchSettings, AchSettingsChange
from remit.ach.tests.test_export import ach_fields
from remit.test import make_biller

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_biller("Acme Supply Co.")


def refused(biller, owner, **changes):
    with pytest.raises(AchSettingsError) as error:
        ach_settings_save(biller=biller, actor=owner, fields=ach_fields(**changes))
    return error.value.errors["immediate_origin"][0]


def test_a_routing_number_origin_is_saved_after_a_blank(acme):
    biller, owner = acme
    saved = ach_settings_save(
        biller=biller, actor=owner, fields=ach_fields(immediate_origin=" 011000015 ", origin_is_routing=True)
    )
    assert (saved.immediate_origin, saved.origin_is_routing) == (" 011000015", True)


def test_a_routing_number_origin_needs_a_right_check_digit(acme):
    biller, owner = acme
    message = refused(biller, owner, immediate_origin="011000016", origin_is_routing=True)
    assert message.startswith("Your bank asked for a routing number here. This routing number doesn't exist.")
    assert "9 digits" in refused(biller, owner, immediate_origin="1234567890", origin_is_routing=True)
    assert not AchSettings.objects.exists()


def test_nine_digits_without_the_box_ticked_say_what_to_do(acme):
    biller, owner = acme
    assert "tick “Immediate origin is a routing number”" in refused(biller, owner, immediate_origin="011000015")
    assert "10-character immediate origin" in refused(biller, owner, immediate_origin="12345")
    assert "10-character immediate origin" in refused(biller, owner, immediate_origin="0000000000")


def test_ten_letters_or_digits_are_saved_upper_case(acme):
    biller, owner = acme
    saved = ach_settings_save(biller=biller, actor=owner, fields=ach_fields(immediate_origin="a123456789"))
    assert (saved.immediate_origin, saved.origin_is_routing) == ("A123456789", False)


def test_switching_to_a_routing_number_origin_is_audited(acme):
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    assert AchSettingsChange.objects.get().after["origin_is_routing"] is False
    ach_settings_save(
        biller=biller, actor=owner, fields=ach_fields(immediate_origin="011000015", origin_is_routing=True)
    )
    change = AchSettingsChange.objects.all()[0]  # newest first
    assert change.before == {"immediate_origin": "1234567890", "origin_is_routing": False}
    assert change.after == {"immediate_origin": " 011000015", "origin_is_routing": True}
    assert change.actor == owner


def _migration():
    [path] = (Path(__file__).parents[1] / "migrations").glob("*_origin_is_routing.py")
    return importlib.import_module(f"remit.ach.migrations.{path.stem}")


def test_the_migration_marks_saved_routing_number_origins(acme):
    """Before the setting, 9 typed digits were saved as a blank and the 9 digits: those say so now,
    when their check digit is right (a wrong one stays a 10-character origin, written as it was)."""
    biller, owner = acme
    ach_settings_save(biller=biller, actor=owner, fields=ach_fields())
    cases = {" 011000015": True, " 011000016": False, "1234567890": False, " 000000000": False}
    for origin, expected in cases.items():
        AchSettings.objects.filter(biller=biller).update(immediate_origin=origin, origin_is_routing=False)
        _migration().mark_routing_origins(apps, None)
        assert AchSettings.objects.get(biller=biller).origin_is_routing is expected, origin
