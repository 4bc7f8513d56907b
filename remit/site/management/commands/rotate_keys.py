"""`remit rotate_keys`: after a new key is put first in REMIT_ENCRYPTION_KEYS, re-encrypt every stored
bank account number with it and recompute the lookup hashes (whose key comes from the first key).

It first reads every number without changing anything: if one can't be decrypted (the key it was
written with is no longer configured), it names the accounts and stops, so nothing is half-rotated.
Then it rewrites the accounts in batches, each batch in one transaction with its rows locked.
Accounts already under the first key with a current hash are left alone, so a second run changes
nothing. Until it has run, the same number saved again may not be noticed as a duplicate.
The billers' settlement account numbers, webhook signing secrets, bank connection secrets (SSH key,
password, PGP key and passphrase) and the bank files Remit archived are re-encrypted too, and every
file of the shared file store (NACHA files, the bank's return files) is sealed again with the first
key — files stored before sealing existed are sealed for the first time. A stored file no key opens
is named before anything changes, like an account.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from remit.ach.models import AchSettings
from remit.bank.connections import bank_secrets_reencrypt
from remit.files.store import reseal_all, unopened_keys
from remit.lib import crypto
from remit.payments.bank_accounts import account_lookup_hash
from remit.payments.models import BankAccount
from remit.webhooks.endpoints import webhook_secrets_reencrypt

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt every bank account number with the first key of REMIT_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=BATCH, help=f"Accounts per transaction ({BATCH}).")

    def handle(self, *args: Any, **options: Any) -> None:
        unreadable = _unreadable_ids(options["batch_size"])
        if unreadable:
            named = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"No key in REMIT_ENCRYPTION_KEYS can decrypt the number of bank account(s) {named}. "
                "Add the key they were encrypted with (after the new first key) and run this again. "
                "Nothing was changed."
            )
        if unopened := unopened_keys():
            shown = ", ".join(unopened[:10]) + (f" and {len(unopened) - 10} more" if len(unopened) > 10 else "")
            raise CommandError(
                f"No key in REMIT_ENCRYPTION_KEYS opens the stored file(s) {shown}. Add the key they were "
                "sealed with (after the new first key) and run this again. Nothing was changed."
            )
        rotated = current = 0
        for ids in _id_batches(options["batch_size"]):
            done, kept = _rotate_batch(ids)
            rotated, current = rotated + done, current + kept
            self.stdout.write(f"… {rotated + current} account(s) checked")
        self.stdout.write(f"Re-encrypted {rotated} bank account number(s); {current} already used the first key.")
        billers = _rotate_settlement_accounts()
        self.stdout.write(f"Re-encrypted {billers} biller settlement account number(s).")
        self.stdout.write(f"Re-encrypted the signing secrets of {_rotate_webhook_secrets()} webhook endpoint(s).")
        self.stdout.write(f"Re-encrypted {_rotate_bank_secrets()} bank connection(s) and archived bank file(s).")
        files = reseal_all()
        self.stdout.write(
            f"Sealed {files['resealed']} stored file(s) again with the first key and {files['sealed']} stored "
            f"before sealing existed; {files['current']} already used the first key."
        )


def _id_batches(size: int) -> Iterator[list[int]]:
    """The account ids in ascending batches, read batch by batch (new accounts are encrypted with the
    first key already, so one added meanwhile needs nothing)."""
    last = 0
    while True:
        ids = list(BankAccount.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _unreadable_ids(size: int) -> list[int]:
    unreadable = []
    numbers = BankAccount.objects.order_by("pk").values_list("pk", "account_number_encrypted")
    for pk, token in numbers.iterator(chunk_size=size):
        try:
            crypto.decrypt(token)
        except crypto.DecryptionError:
            unreadable.append(pk)
    return unreadable


@sensitive_variables("plain")
@transaction.atomic
def _rotate_batch(ids: list[int]) -> tuple[int, int]:
    """Returns (re-encrypted, already current). Any failure rolls the whole batch back."""
    rotated = current = 0
    for account in BankAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        try:
            plain = crypto.decrypt(account.account_number_encrypted)
        except crypto.DecryptionError:
            raise CommandError(
                f"No key in REMIT_ENCRYPTION_KEYS can decrypt the number of bank account {account.pk}; "
                "this batch was left unchanged."
            ) from None
        fingerprint = account_lookup_hash(routing_number=account.routing_number, account_number=plain)
        if fingerprint == account.lookup_hash and crypto.is_under_first_key(account.account_number_encrypted):
            current += 1
            continue
        _save(account, token=crypto.reencrypt(account.account_number_encrypted), fingerprint=fingerprint)
        rotated += 1
    return rotated, current


def _save(account: BankAccount, *, token: str, fingerprint: str) -> None:
    try:
        with transaction.atomic():
            BankAccount.objects.filter(pk=account.pk).update(account_number_encrypted=token, lookup_hash=fingerprint)
    except IntegrityError:
        raise CommandError(
            f"Bank account {account.pk} has the same number as another active account of its customer "
            "(saved while the keys were being changed). Remove one of them in the portal, then run this again."
        ) from None


@transaction.atomic
def _rotate_settlement_accounts() -> int:
    """The billers' own settlement accounts (ACH settings, for balanced files), the same way."""
    rotated = 0
    for ach in AchSettings.objects.select_for_update().exclude(settlement_account_encrypted="").order_by("pk"):
        if crypto.is_under_first_key(ach.settlement_account_encrypted):
            continue
        try:
            token = crypto.reencrypt(ach.settlement_account_encrypted)
        except crypto.DecryptionError:
            raise CommandError(
                f"No key in REMIT_ENCRYPTION_KEYS can decrypt the settlement account of biller {ach.biller_id}."
            ) from None
        AchSettings.objects.filter(pk=ach.pk).update(settlement_account_encrypted=token)
        rotated += 1
    return rotated


def _rotate_webhook_secrets() -> int:
    """The billers' webhook signing secrets, the same way (all or nothing)."""
    try:
        return webhook_secrets_reencrypt()
    except crypto.DecryptionError as error:
        raise CommandError(str(error)) from None


def _rotate_bank_secrets() -> int:
    """The bank connections' secrets and archived bank files, the same way (all or nothing)."""
    try:
        return bank_secrets_reencrypt()
    except crypto.DecryptionError as error:
        raise CommandError(str(error)) from None
