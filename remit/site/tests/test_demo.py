import pytest
from django.apps import apps

from remit.billers.models import Biller, Membership, Role
from remit.site.demo import ACME_OWNER, ACME_SLUG, DEMO_PASSWORD, load_demo
from remit.users.models import User

pytestmark = pytest.mark.django_db


def _snapshot():
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in apps.get_models()}


def test_it_loads_acme_with_a_logo_and_its_owner():
    assert load_demo()
    acme = Biller.objects.get(slug=ACME_SLUG)
    assert acme.name == "Acme Supply Co." and acme.has_logo
    owner = User.objects.console().get(email=ACME_OWNER)
    assert owner.check_password(DEMO_PASSWORD)
    assert Membership.objects.get(biller=acme, user=owner).role == Role.OWNER


def test_running_it_again_changes_nothing():
    load_demo()
    before = _snapshot()
    assert load_demo() == []
    assert _snapshot() == before


def test_the_demo_owner_can_sign_in(client):
    load_demo()
    response = client.post("/console/signin/", {"email": ACME_OWNER, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(response["Location"], follow=True).redirect_chain[-1][0] == f"/console/{ACME_SLUG}/"
