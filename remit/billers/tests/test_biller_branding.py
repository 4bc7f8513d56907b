import pytest
from django.core.exceptions import ValidationError

from remit.billers.actions import biller_update_branding
from remit.billers.models import BillerEvent
from remit.lib.images import normalize_logo
from remit.test import make_biller, png_bytes

pytestmark = pytest.mark.django_db


def test_it_saves_a_logo_and_colour_and_records_who():
    biller, owner = make_biller()
    logo = normalize_logo(png_bytes((300, 100)), "logo.png")
    biller = biller_update_branding(biller=biller, actor=owner, brand_color="#AA3300", logo=logo)
    biller.refresh_from_db()
    assert biller.has_logo and bytes(biller.logo_png or b"") == logo.png
    assert (biller.logo_width, biller.logo_height, biller.brand_color) == (300, 100, "#aa3300")
    event = BillerEvent.objects.get(biller=biller, kind=BillerEvent.Kind.BRANDING_CHANGED)
    assert event.actor == owner and event.data["brand_color"][1] == "#aa3300"


def test_removing_the_logo():
    biller, owner = make_biller()
    biller_update_branding(
        biller=biller, actor=owner, brand_color=biller.brand_color, logo=normalize_logo(png_bytes(), "a.png")
    )
    biller = biller_update_branding(biller=biller, actor=owner, brand_color=biller.brand_color, remove_logo=True)
    biller.refresh_from_db()
    assert not biller.has_logo and biller.logo_png is None


def test_nothing_changed_records_nothing():
    biller, owner = make_biller()
    biller_update_branding(biller=biller, actor=owner, brand_color=biller.brand_color)
    assert not BillerEvent.objects.filter(kind=BillerEvent.Kind.BRANDING_CHANGED).exists()


def test_a_bad_colour_changes_nothing():
    biller, owner = make_biller()
    with pytest.raises(ValidationError):
        biller_update_branding(biller=biller, actor=owner, brand_color="red")
    biller.refresh_from_db()
    assert biller.brand_color == "#1d5c8d"
