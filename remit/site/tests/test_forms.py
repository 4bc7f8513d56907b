"""add_action_error: an action's refusal shown on the form, at the field it names when the form has it."""

from django import forms

from remit.lib.errors import ActionError
from remit.site.forms import add_action_error


class NameForm(forms.Form):
    name = forms.CharField()
    email = forms.EmailField()


def bound() -> NameForm:
    form = NameForm({"name": "Globex", "email": "ap@globex.example"})
    assert form.is_valid()
    return form


def test_a_field_error_goes_on_its_field():
    form = bound()
    add_action_error(form, ActionError("Globex is already on the team.", field="email"))
    assert form.errors == {"email": ["Globex is already on the team."]}
    assert not form.non_field_errors()


def test_a_field_the_form_lacks_and_no_field_go_above_the_form():
    form = bound()
    add_action_error(form, ActionError("Enter the routing number.", field="routing_number"))
    add_action_error(form, ActionError("The invoice is void."))
    assert form.non_field_errors() == ["Enter the routing number.", "The invoice is void."]
    assert "name" not in form.errors and "email" not in form.errors


def test_every_field_of_a_refusal_is_shown():
    form = bound()
    add_action_error(form, ActionError(errors={"name": ["Enter the name."], "": ["Nothing was saved."]}))
    assert form.errors["name"] == ["Enter the name."]
    assert form.non_field_errors() == ["Nothing was saved."]
