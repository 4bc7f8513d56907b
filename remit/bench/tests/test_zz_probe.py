import time
import pytest
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from remit.bench.loadtest.world import seed_world
from remit.users.models import User
from remit.test import portal_login

pytestmark = pytest.mark.django_db


def test_probe():
    logins = seed_world(customers=3, invoices=40)
    user = User.objects.get(email=logins.portal[0], customer_memberships__isnull=False) if False else None
    from remit.customers.models import CustomerMembership
    m = CustomerMembership.objects.select_related("user").filter(user__email=logins.portal[0]).first()
    c = Client()
    portal_login(c, m.user)
    base = f"/{logins.slug}/"
    from remit.invoices.models import Invoice
    inv = Invoice.objects.filter(customer=m.customer).first()
    paths = [base, base + "invoices/", base + "invoices/?status=paid", base + "pay-bills/", base + "payments/", f"{base}invoices/{inv.pk}/pdf", f"{base}invoices/{inv.pk}/pdf"]
    for p in paths:
        c.get(p)
        reset_queries()
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            r = c.get(p)
        print(p, r.status_code, len(q), f"{(time.perf_counter()-t)*1000:.0f} ms")
        import cProfile, pstats, os
        if os.environ.get("PROF") and os.environ["PROF"] in p:
            pr = cProfile.Profile(); pr.enable()
            for _ in range(5): c.get(p)
            pr.disable(); pstats.Stats(pr).sort_stats("cumulative").print_stats(45)
    cs = Client()
    cs.force_login(User.objects.get(email=logins.console[0]), backend="remit.users.backends.ConsoleBackend")
    for p in [f"/console/{logins.slug}/invoices/", f"/console/{logins.slug}/invoices/?status=outstanding"]:
        cs.get(p)
        reset_queries()
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            r = cs.get(p)
        print(p, r.status_code, len(q), f"{(time.perf_counter()-t)*1000:.0f} ms")
        for x in q.captured_queries: print("   ", x["sql"][:250])
