import pytest

from remit.billers.actions import BillerError, biller_change_slug, biller_set_custom_domain
from remit.billers.models import BillerEvent, PreviousSlug
from remit.test import make_biller

pytestmark = pytest.mark.django_db


def test_changing_the_slug_keeps_the_old_one_reserved_for_the_biller():
    biller, owner = make_biller("Acme Supply Co.")
    biller = biller_change_slug(biller=biller, actor=owner, slug="acme")
    assert biller.slug == "acme"
    assert PreviousSlug.objects.get(slug="acme-supply").biller == biller
    event = BillerEvent.objects.get(kind=BillerEvent.Kind.SLUG_CHANGED)
    assert event.data == {"old": "acme-supply", "new": "acme"}


def test_another_biller_cannot_take_a_current_or_retired_slug():
    acme, owner = make_biller("Acme Supply Co.")
    biller_change_slug(biller=acme, actor=owner, slug="acme")
    other, other_owner = make_biller("Acme Tools")
    for taken in ["acme", "acme-supply"]:
        with pytest.raises(BillerError, match="already taken") as error:
            biller_change_slug(biller=other, actor=other_owner, slug=taken)
        assert error.value.field == "slug"


def test_a_biller_can_return_to_its_old_slug():
    biller, owner = make_biller("Acme Supply Co.")
    biller_change_slug(biller=biller, actor=owner, slug="acme")
    biller = biller_change_slug(biller=biller, actor=owner, slug="acme-supply")
    assert biller.slug == "acme-supply"
    assert list(PreviousSlug.objects.values_list("slug", flat=True)) == ["acme"]


def test_a_refused_slug_changes_nothing():
    biller, owner = make_biller("Acme Supply Co.")
    with pytest.raises(BillerError, match="reserved"):
        biller_change_slug(biller=biller, actor=owner, slug="console")
    biller.refresh_from_db()
    assert biller.slug == "acme-supply"
    assert not PreviousSlug.objects.exists() and not BillerEvent.objects.filter(kind="slug_changed").exists()


def test_a_custom_domain_is_unique_and_can_be_removed():
    acme, owner = make_biller("Acme Supply Co.")
    acme = biller_set_custom_domain(biller=acme, actor=owner, domain="Pay.Acme.Example")
    assert acme.custom_domain == "pay.acme.example"
    other, other_owner = make_biller("Globex")
    with pytest.raises(BillerError, match="Another biller already uses this domain"):
        biller_set_custom_domain(biller=other, actor=other_owner, domain="pay.acme.example")
    acme = biller_set_custom_domain(biller=acme, actor=owner, domain="")
    assert acme.custom_domain is None
    assert BillerEvent.objects.filter(kind=BillerEvent.Kind.DOMAIN_CHANGED).count() == 2


def test_remits_own_host_cannot_be_a_custom_domain():
    biller, owner = make_biller()
    with pytest.raises(BillerError, match="belongs to Remit"):
        biller_set_custom_domain(biller=biller, actor=owner, domain="localhost")
