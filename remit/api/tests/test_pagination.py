"""Cursor pagination: newest first, pages that never repeat or skip; a damaged cursor or a limit
outside 1–200 is a 400, never a silent default."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from remit.test import make_customer

pytestmark = pytest.mark.django_db


def test_follow_next_then_previous(api, acme):
    made = [make_customer(acme.biller, f"Customer {n}").pk for n in range(5)]
    page = api.get("/api/v1/customers?limit=2").json()
    assert page["previous"] is None
    seen, pages = [c["id"] for c in page["results"]], [page]
    while page["next"]:
        assert page["next"].startswith("http://testserver/api/v1/customers?cursor=") and "limit=2" in page["next"]
        page = api.get(page["next"]).json()
        pages.append(page)
        seen += [c["id"] for c in page["results"]]
    assert seen == sorted(made, reverse=True)
    assert [len(p["results"]) for p in pages] == [2, 2, 1]
    back = api.get(pages[-1]["previous"]).json()
    assert [c["id"] for c in back["results"]] == [c["id"] for c in pages[1]["results"]]


def test_a_new_object_does_not_shift_the_next_page(api, acme):
    made = [make_customer(acme.biller, f"Customer {n}").pk for n in range(4)]
    first = api.get("/api/v1/customers?limit=2").json()
    make_customer(acme.biller, "Newcomer")
    second = api.get(first["next"]).json()
    assert [c["id"] for c in second["results"]] == [made[1], made[0]]


def test_filters_carry_into_the_next_page(api, acme):
    for n in range(3):
        make_customer(acme.biller, f"Initech {n}")
    make_customer(acme.biller, "Globex")
    first = api.get("/api/v1/customers?q=initech&limit=2").json()
    assert "q=initech" in first["next"]
    assert len(api.get(first["next"]).json()["results"]) == 1


@pytest.mark.parametrize(
    "cursor", ["nonsense", "cD0xMjM0", "a", "c12", "a-1", "a1.5", "a1234567890123456789", "%E2%80%A2", "", "%20a1"]
)
def test_a_damaged_cursor_is_a_validation_problem(api, cursor):
    response = api.get(f"/api/v1/invoices?cursor={cursor}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["cursor"]


def test_links_carry_cursors_of_the_documented_shape(api, acme):
    for n in range(3):
        make_customer(acme.biller, f"Customer {n}")
    pattern = Client().get("/api/v1/openapi.json").json()["paths"]["/api/v1/customers"]["get"]["parameters"]
    pattern = next(p["schema"]["pattern"] for p in pattern if p["name"] == "cursor")
    second = api.get(api.get("/api/v1/customers?limit=1").json()["next"]).json()
    for link in (second["next"], second["previous"]):
        assert re.fullmatch(pattern, parse_qs(urlsplit(link).query)["cursor"][0])


def test_the_page_size_is_1_to_200(api, acme):
    for n in range(3):
        make_customer(acme.biller, f"Customer {n}")
    assert len(api.get("/api/v1/customers?limit=1").json()["results"]) == 1
    assert len(api.get("/api/v1/customers?limit=200").json()["results"]) == 3
    assert len(api.get("/api/v1/customers").json()["results"]) == 3  # 50 unless asked


@pytest.mark.parametrize("limit", ["0", "201", "1000", "-35376", "null", "zero", "", "1.5", "%205", "%EF%BC%95"])
def test_a_limit_that_is_not_1_to_200_is_refused(api, acme, limit):
    make_customer(acme.biller, "Globex")
    response = api.get(f"/api/v1/customers?limit={limit}")
    assert response.status_code == 400
    assert response.json()["errors"] == {"limit": ["Use a whole number from 1 to 200."]}
