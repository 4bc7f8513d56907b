"""How templates name a bank account: always through ``remit.payments.disclosure``.

    {{ payment.bank_account|account_for:request.user }}        Globex Ops, Checking ••••1234
    {{ payment.bank_account|account_label_for:request.user }}  Checking ••••1234
    {{ account|account_for_biller }}                            the biller's side: masked details

A viewer that is not a portal user (a missing variable, someone not signed in) sees a private account
as someone else would: the filters fail closed.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.auth.models import AnonymousUser

from remit.payments.disclosure import Viewer, describe_account
from remit.payments.models import BankAccount
from remit.users.models import User

register = template.Library()


def _viewer(value: Any) -> Viewer:
    return value if isinstance(value, User) else AnonymousUser()


@register.filter
def account_for(account: BankAccount | None, viewer: Any) -> str:
    return describe_account(account, viewer=_viewer(viewer)) if account is not None else ""


@register.filter
def account_label_for(account: BankAccount | None, viewer: Any) -> str:
    return describe_account(account, viewer=_viewer(viewer), short=True) if account is not None else ""


@register.filter
def account_for_biller(account: BankAccount | None) -> str:
    return describe_account(account, viewer=None) if account is not None else ""
