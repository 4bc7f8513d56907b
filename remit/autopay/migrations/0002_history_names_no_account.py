"""History written before issue 11 named bank accounts ("x removed the bank account Checking ••••1234",
"Auto Pay re-planned it: from Savings ••••8642"). Payment events and Auto Pay changes are read by
every colleague, who may not see a private account's details (payments/disclosure.py), so such text
is rewritten the way it is written now: naming no account. The account of a payment or an Auto Pay
setting is still known (by its id) and described to each reader as they may see it."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations

LABEL = r"(?:Checking|Savings) ••••\d{4}"
REWRITES = [
    (re.compile(rf"a payment from {LABEL} with"), "a payment from this account with"),
    (re.compile(rf"[Tt]he bank account {LABEL} was removed"), "The bank account was removed"),
    (re.compile(rf"removed the bank account {LABEL}"), "removed the bank account"),
    (re.compile(rf"whose private account {LABEL} it is"), "whose private account it is"),
    (re.compile(rf"\bfrom {LABEL}"), "bank account changed"),  # payment_adjust's "from <account>"
    (re.compile(LABEL), "a bank account"),
]


def without_account_details(text: str) -> str:
    for pattern, replacement in REWRITES:
        text = pattern.sub(replacement, text)
    return text


def _rewrite(model: Any, field: str) -> None:
    changed = []
    for row in model.objects.filter(**{f"{field}__contains": "••••"}).only("pk", field).iterator():
        text = without_account_details(getattr(row, field))
        if text != getattr(row, field):
            setattr(row, field, text)
            changed.append(row)
    model.objects.bulk_update(changed, [field], batch_size=500)


def forwards(apps: Any, schema_editor: Any) -> None:
    _rewrite(apps.get_model("payments", "PaymentEvent"), "note")
    _rewrite(apps.get_model("autopay", "AutoPayChange"), "reason")


class Migration(migrations.Migration):
    dependencies = [
        ("autopay", "0001_initial"),
        ("payments", "0002_bank_accounts"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
