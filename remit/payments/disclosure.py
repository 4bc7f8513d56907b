"""How a bank account is described to the person reading about it: the one rule behind the help
article's "Checking the Private box will hide the bank account information from other colleagues".

- To the person who added it, and to everyone when it is shared: its masked details,
  "Globex Ops, Checking ••••1234".
- To the biller (``viewer=None``): the same masked details — it is their customer's authorization.
- To anyone else (a colleague, even an admin; someone holding a signed link without signing in), a
  private account is only "a private account of <its owner>": no holder name, bank, type or digits.

Every portal page (the ``account_for`` template filters in ``templatetags/bank_accounts.py``), every
email about an account (``email_people`` renders one message per way of seeing it) and the Auto Pay
form describe an account through here. What is stored as history (payment events, Auto Pay changes)
names no account's details, so history can be shown to anyone who may see the payment.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser

from remit.customers.selectors import admins
from remit.notifications.actions import email_send, email_send_optional
from remit.payments.models import BankAccount, Payment
from remit.users.models import User

# A portal user, someone not signed in, or None for the biller's side (console, biller emails, API).
Viewer = User | AnonymousUser | None


def shows_details(account: BankAccount, *, viewer: Viewer) -> bool:
    """Whether ``viewer`` may read the account's holder name, type and last four digits."""
    if viewer is None or not account.is_private:
        return True
    return viewer.pk is not None and viewer.pk == account.added_by_id


def describe_account(account: BankAccount, *, viewer: Viewer, short: bool = False) -> str:
    """The account as ``viewer`` may read it: "Globex Ops, Checking ••••1234" (``short``: "Checking
    ••••1234", for tables), or "a private account of <owner's name>" for a colleague's private one."""
    if not shows_details(account, viewer=viewer):
        return f"a private account of {account.added_by}"
    return account.label if short else f"{account.holder_name}, {account.label}"


def choice_label(account: BankAccount, *, viewer: Viewer) -> str:
    """An account offered in a "Pay from" list (the viewer's usable accounts: shared or their own)."""
    return describe_account(account, viewer=viewer) + (" (private)" if account.is_private else "")


def with_person(people: list[User], person: User | None) -> list[User]:
    """``people``, and ``person`` too when it is an active user not among them (a payer, or whoever
    added an account, who is not one of the customer's admins)."""
    if person is not None and person.is_active and person not in people:
        people.append(person)
    return people


def payment_people(payment: Payment) -> list[User]:
    """Who hears about a payment: the customer's admins and whoever made it."""
    return with_person(admins(payment.customer_id), payment.created_by)


def viewer_groups(people: Iterable[User], accounts: Iterable[BankAccount | None]) -> list[list[User]]:
    """``people`` (each once) in groups that may see ``accounts`` alike — a private account's owner
    apart from the colleagues who see only whose it is — so each group gets one message."""
    shown = [account for account in accounts if account is not None]
    groups: dict[tuple[bool, ...], list[User]] = {}
    seen: set[int] = set()
    for person in people:
        if person.pk in seen:
            continue
        seen.add(person.pk)
        groups.setdefault(tuple(shows_details(account, viewer=person) for account in shown), []).append(person)
    return list(groups.values())


def email_people(
    *,
    people: Iterable[User],
    accounts: Iterable[BankAccount | None],
    template: str,
    biller: Any,
    context: dict[str, Any],
    category: str | None = None,
) -> None:
    """Email ``people`` about ``accounts``: one message per way of seeing them, so the owner of a
    private account may read its details while the colleagues' copy says only whose it is. The
    templates describe each account for ``viewer`` (one of the message's recipients). Call inside
    the transaction of the change. With a ``category`` (``notifications.categories.EmailCategory``)
    the email is non-essential: each person gets their own copy with its unsubscribe link, and those
    who opted out of that category get none (``email_send_optional``)."""
    for group in viewer_groups(people, accounts):
        to = [person.email for person in group]
        if category is None:
            email_send(to=to, template=template, biller=biller, context={**context, "viewer": group[0]})
        else:
            email_send_optional(
                to=to, category=category, template=template, biller=biller, context={**context, "viewer": group[0]}
            )
