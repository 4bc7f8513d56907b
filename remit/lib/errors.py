"""The one error an action raises when it refuses a request.

Every refusal carries its messages, in words for the person who asked, each tied to the form field it
concerns ("" for the request as a whole). Most refusals have one message and at most one field::

    raise BankAccountError("Enter the routing number.", field="routing_number")

a check of a whole form may name several fields at once::

    raise CustomerError(errors={"name": ["Enter the customer's name."], "reference": ["…"]})

Each domain keeps its own subclass (``PaymentError``, ``WebhookError``…) so its callers can catch
what they expect; the console and portal forms (``remit.site.forms.add_action_error``) and the API's
problem+json (``remit.api.problems``) render any of them the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class ActionError(ValueError):
    """A request the rules refuse. ``errors`` maps fields ("" for none) to their messages."""

    errors: dict[str, list[str]]

    def __init__(
        self, message: str = "", *, field: str = "", errors: Mapping[str, Iterable[str]] | None = None
    ) -> None:
        if errors is None:
            errors = {field: [message]}
        elif message or field:
            raise TypeError("Give either a message (and its field) or errors, not both.")
        self.errors = {name: found for name, messages in errors.items() if (found := list(messages))}
        super().__init__("; ".join(self.messages))

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]

    @property
    def message(self) -> str:
        return "; ".join(self.messages)

    @property
    def field(self) -> str:
        """The one field the refusal concerns; "" when it concerns the whole request or several fields."""
        return next(iter(self.errors)) if len(self.errors) == 1 else ""


class NotPermitted(ActionError):
    """The person may not do this at all (e.g. only an owner may): a 403, never a form error."""
