"""ActionError: one message and its field, or several fields' messages at once."""

import pytest

from remit.lib.errors import ActionError


def test_one_message_with_its_field():
    error = ActionError("Enter the routing number.", field="routing_number")
    assert error.errors == {"routing_number": ["Enter the routing number."]}
    assert (error.field, error.message, str(error)) == (
        "routing_number",
        "Enter the routing number.",
        "Enter the routing number.",
    )


def test_one_message_for_the_whole_request():
    error = ActionError("The invoice is void.")
    assert error.errors == {"": ["The invoice is void."]} and error.field == ""


def test_several_fields_at_once():
    error = ActionError(errors={"name": ["Enter the name."], "country": ["Use a two-letter code."], "memo": []})
    assert error.errors == {"name": ["Enter the name."], "country": ["Use a two-letter code."]}
    assert error.field == ""  # more than one: no single field
    assert error.messages == ["Enter the name.", "Use a two-letter code."]
    assert str(error) == error.message == "Enter the name.; Use a two-letter code."


def test_a_message_and_errors_together_is_a_mistake():
    with pytest.raises(TypeError):
        ActionError("Enter the name.", errors={"name": ["Enter the name."]})
