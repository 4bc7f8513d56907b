"""The signed unsubscribe token: what it carries, and that nothing else reads as one."""

import pytest

from remit.notifications.unsubscribe import read_unsubscribe_token, unsubscribe_token


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        lambda token: "x" + token,  # the payload
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_token_says_nothing(tamper):
    token = unsubscribe_token(biller_id=1, address="ap@globex.example", category="reminders")
    assert read_unsubscribe_token(token) is not None
    assert read_unsubscribe_token(tamper(token)) is None


def test_a_token_signed_for_something_else_is_refused():
    from django.core import signing

    other = signing.dumps({"b": 1, "a": "ap@globex.example", "c": "reminders"}, salt="remit.autopay.skip")
    assert read_unsubscribe_token(other) is None
    unknown = unsubscribe_token(biller_id=1, address="ap@globex.example", category="newsletters")
    assert read_unsubscribe_token(unknown) is None
