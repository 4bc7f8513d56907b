"""Hooks: one receiver each, registered by the layer above; calling one nobody registered is a bug."""

import pytest

from remit.autopay.engine import autopay_follow_invoices
from remit.autopay.settings import autopay_account_gone
from remit.customers.hooks import member_left
from remit.invoices.hooks import invoices_changed
from remit.lib.hooks import Hook
from remit.payments.bank_accounts import bank_accounts_remove_private
from remit.payments.hooks import bank_account_retired


def test_a_hook_passes_the_call_to_its_receiver_and_returns_its_answer():
    hook: Hook[[int], int] = Hook("double")
    hook.register(lambda n: n * 2)
    assert hook(21) == 42


def test_a_hook_without_a_receiver_refuses_to_be_called():
    with pytest.raises(RuntimeError, match="Nothing registered for the hook lonely"):
        Hook("lonely")()


def test_a_second_receiver_is_refused():
    hook: Hook[[], None] = Hook("once")
    hook.register(lambda: None)
    with pytest.raises(RuntimeError, match="already has a receiver"):
        hook.register(lambda: None)


def test_remits_hooks_are_registered_by_the_apps_above():
    assert invoices_changed._receiver is autopay_follow_invoices
    assert bank_account_retired._receiver is autopay_account_gone
    assert member_left._receiver is bank_accounts_remove_private
