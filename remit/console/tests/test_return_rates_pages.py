"""ACH → Return rates: a table per SEC code, the trend chart, the alerts sent; owners and staff see
it, another biller's people get 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from remit.ach.return_rate_alerts import return_rates_check
from remit.ach.tests.rates_data import originate, return_entries
from remit.test import make_biller, make_customer, make_staff

pytestmark = pytest.mark.django_db

NOW = "2026-06-30 16:00-04:00"


@pytest.fixture
def acme():
    with time_machine.travel(NOW, tick=False):
        biller, owner = make_biller("Acme Supply Co.")
        customer = make_customer(biller, "Globex")
        today = timezone_today(biller)
        web = originate(biller, customer, day=today - timedelta(days=20), entries=200, sec_code="WEB")
        ccd = originate(biller, customer, day=today - timedelta(days=5), entries=20, sec_code="CCD")
        return_entries(web[:1], "R10", day=today - timedelta(days=2), biller=biller)  # WEB unauthorized 0.5%
        return_entries(ccd[:3], "R01", day=today, biller=biller)  # CCD overall 15%
        return_rates_check(biller=biller)
        yield biller, owner


def timezone_today(biller):
    from remit.ach.return_rate_data import local_today

    return local_today(biller)


def page(client, biller):
    with time_machine.travel(NOW, tick=False):
        return client.get(f"/console/{biller.slug}/ach/return-rates/")


def test_owner_sees_a_table_per_sec_code_and_the_trend(client, acme):
    biller, owner = acme
    client.force_login(owner)
    response = page(client, biller)
    assert response.status_code == 200
    html = response.content.decode()
    assert "over the 60 days to Jun 30, 2026" in html
    head = html.split("</head>", 1)[0]
    assert re.search(r"<title>Return rates[^<]*</title>", head) and "<section" not in head
    assert html.count('id="review-h"') == 1
    for heading in ("All SEC codes", "WEB (consumer, online)", "CCD (business)"):
        assert heading in html
    text = " ".join(re.sub(r"<[^>]+>", " ", html.split("rates-WEB-h", 1)[1]).split())
    # WEB: 1 unauthorized return of 200 debits, at the threshold.
    assert "Unauthorized 200 1 0.50% 0.5% 100% Over the threshold" in text
    assert '<span class="badge rate-100">Over the threshold</span>' in html
    # CCD: 3 of 20 overall.
    assert "Overall 20 3 15.00% 15.0% 100% Over the threshold" in text.split("CCD (business)", 1)[1]
    # the chart: accessible, server-rendered, no script
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-lines" role="img"' in html
    assert '<title id="return-rate-trend-title">' in html and 'id="return-rate-trend-desc"' in html
    assert "<script" not in html.split("<main", 1)[1]
    # the alerts sent
    assert "Alerts" in html and "Not yet" in html


def test_staff_may_look(client, acme):
    biller, _ = acme
    client.force_login(make_staff(biller))
    assert page(client, biller).status_code == 200


def test_the_ach_files_page_links_to_it(client, acme):
    biller, owner = acme
    client.force_login(owner)
    html = client.get(f"/console/{biller.slug}/ach/").content.decode()
    assert f'href="/console/{biller.slug}/ach/return-rates/">Return rates</a>' in html


def test_another_billers_people_get_404(client, acme):
    biller, _ = acme
    _, stranger = make_biller("Initech")
    client.force_login(stranger)
    assert page(client, biller).status_code == 404


def test_no_debits_yet_says_so(client):
    biller, owner = make_biller("Hooli")
    client.force_login(owner)
    html = page(client, biller).content.decode()
    assert "No ACH debits in the last 60 days." in html
    assert "No rate has reached 50% of its threshold." in html


def test_risk_review_downloads(client, acme):
    biller, _ = acme
    client.force_login(make_staff(biller))
    html = page(client, biller).content.decode()
    assert f'formaction="/console/{biller.slug}/ach/risk-review.pdf"' in html
    with time_machine.travel(NOW, tick=False):
        csv_response = client.get(f"/console/{biller.slug}/ach/risk-review.csv?year=2026")
        pdf_response = client.get(f"/console/{biller.slug}/ach/risk-review.pdf?year=2026")
        future = client.get(f"/console/{biller.slug}/ach/risk-review.csv?year=2027")
        nonsense = client.get(f"/console/{biller.slug}/ach/risk-review.pdf?year=twenty")
    assert csv_response.status_code == 200
    assert csv_response["Content-Disposition"] == f'attachment; filename="{biller.slug}-ach-risk-review-2026.csv"'
    body = b"".join(csv_response.streaming_content).decode("utf-8-sig")
    assert body.startswith("Annual ACH risk review 2026,Acme Supply Co.")
    assert "2026-06,WEB,200,2000.00,1,1,0,0.50%,0.50%,0.00%" in body
    assert pdf_response.status_code == 200 and pdf_response.content.startswith(b"%PDF-")
    assert pdf_response["Content-Disposition"] == f'attachment; filename="{biller.slug}-ach-risk-review-2026.pdf"'
    assert future.status_code == 404 and nonsense.status_code == 404


def test_another_billers_people_cannot_download_the_review(client, acme):
    biller, _ = acme
    _, stranger = make_biller("Initech")
    client.force_login(stranger)
    assert client.get(f"/console/{biller.slug}/ach/risk-review.csv").status_code == 404
    assert client.get(f"/console/{biller.slug}/ach/risk-review.pdf").status_code == 404
