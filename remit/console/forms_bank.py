"""The bank connection page's form: the SFTP server, how Remit signs in, the folders, PGP."""

from __future__ import annotations

from django import forms
from django.core.files.uploadedfile import UploadedFile

from remit.bank.connections import ConnectionFields
from remit.bank.models import AuthMethod
from remit.site.forms import NeverRedisplayedInput

MAX_KEY_BYTES = 64 * 1024


def _text(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=False, help_text=help_text, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


def _key_file(label: str, help_text: str) -> forms.FileField:
    return forms.FileField(label=label, required=False, help_text=help_text)


class BankConnectionForm(forms.Form):
    """Every field is optional here: ``check_connection_fields`` gives the messages, all at once."""

    host = _text("SFTP server", help_text="The host name your bank gave you, e.g. sftp.bank.example.")
    port = forms.IntegerField(label="Port", required=False, help_text="Usually 22.")
    username = _text("User name")
    auth = forms.ChoiceField(
        label="Sign in with", choices=AuthMethod.choices, widget=forms.RadioSelect, initial=AuthMethod.KEY
    )
    password = forms.CharField(
        label="Password",
        required=False,
        help_text="Only when signing in with a password. Stored encrypted; leave empty to keep the saved one.",
        widget=NeverRedisplayedInput(attrs={"autocomplete": "new-password", "type": "password"}),
    )
    private_key = _key_file(
        "Your own SSH private key (optional)",
        "Only if your bank already has your key: an OpenSSH or PEM file without a passphrase. Otherwise use the "
        "key Remit generates, below.",
    )
    outbound_dir = _text("Folder for Remit's files", help_text="Where Remit puts each day's NACHA file, e.g. /inbound.")
    inbound_dir = _text(
        "Folder of the bank's files",
        help_text="Where the bank puts returns and notifications of change, e.g. /outbound.",
    )
    pgp_bank_key = _key_file(
        "Bank's PGP public key (optional)", "When the bank wants files PGP-encrypted: its public key (.asc)."
    )
    remove_pgp_bank_key = forms.BooleanField(label="Stop encrypting (remove the bank's key)", required=False)
    pgp_own_key = _key_file(
        "Your PGP private key (optional)", "When the bank encrypts its files to you: your private key (.asc)."
    )
    pgp_own_passphrase = forms.CharField(
        label="Its passphrase",
        required=False,
        help_text="Stored encrypted; leave empty to keep the saved one.",
        widget=NeverRedisplayedInput(attrs={"autocomplete": "new-password", "type": "password"}),
    )
    remove_pgp_own_key = forms.BooleanField(label="Remove your PGP key", required=False)
    enabled = forms.BooleanField(
        label="Deliver files and pick up returns automatically",
        required=False,
        help_text="Files Remit writes from now on go to the bank by themselves; older ones stay yours to send.",
    )

    def _key_text(self, name: str) -> str:
        upload: UploadedFile | None = self.cleaned_data.get(name)
        if upload is None:
            return ""
        if upload.size is not None and upload.size > MAX_KEY_BYTES:
            self.add_error(name, "This file is too big for a key.")
            return ""
        try:
            return upload.read().decode("ascii")
        except UnicodeDecodeError:
            self.add_error(name, "A key file is plain text (ASCII-armored PGP or OpenSSH); this one is not.")
            return ""

    def fields_for_action(self) -> ConnectionFields:
        data = self.cleaned_data
        return ConnectionFields(
            host=data["host"],
            port=data["port"],
            username=data["username"],
            auth=data["auth"],
            password=data["password"],
            private_key=self._key_text("private_key"),
            outbound_dir=data["outbound_dir"],
            inbound_dir=data["inbound_dir"],
            pgp_bank_key=self._key_text("pgp_bank_key"),
            pgp_own_key=self._key_text("pgp_own_key"),
            pgp_own_passphrase=data["pgp_own_passphrase"],
            remove_pgp_bank_key=data["remove_pgp_bank_key"],
            remove_pgp_own_key=data["remove_pgp_own_key"],
            enabled=data["enabled"],
        )


class HostKeyForm(forms.Form):
    host_key = forms.CharField(widget=forms.HiddenInput)
