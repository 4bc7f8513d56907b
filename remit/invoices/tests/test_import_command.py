"""`remit import customers|invoices FILE --biller SLUG`: the importer from a terminal."""

from __future__ import annotations

import importlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from remit.billers.actions import biller_change_slug
from remit.customers.models import Customer
from remit.invoices.models import Invoice
from remit.test import make_biller

pytestmark = pytest.mark.django_db

# "import" is a keyword, so the command's module can't be named in an import statement.
ProgressBar = importlib.import_module("remit.invoices.management.commands.import").ProgressBar

CUSTOMERS = "Name,Customer reference,Email\r\nGlobex,GLX-1,ap@globex.example\r\nInitech,INI-7,ap@initech.example\r\n"
INVOICES = (
    "Invoice number,Customer reference,Issue date,Terms,Description,Quantity,Unit price\r\n"
    "A-1,GLX-1,2025-01-15,Net 30,Widgets,3,19.99\r\n"
    "A-1,GLX-1,2025-01-15,Net 30,Gadgets,1,5\r\n"
    ",INI-7,2025-01-15,Net 30,Consulting,2,150\r\n"
)
BAD_INVOICES = (
    "Invoice number,Customer reference,Issue date,Description,Unit price\r\n"
    "A-1,GLX-1,2025-01-15,Widgets,10\r\n"
    "A-2,NOBODY,2025-01-15,Widgets,10\r\n"
    "A-3,GLX-1,2025-01-15,Widgets,12.345\r\n"
)


class Terminal(io.StringIO):
    """Output that says it is a terminal, as a real one would."""

    def isatty(self) -> bool:
        return True


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def acme(tmp_path):
    biller, _ = make_biller("Acme Supply Co.")
    run("customers", str(write(tmp_path, "customers.csv", CUSTOMERS)), "--biller", biller.slug)
    return biller


def test_it_imports_customers_and_says_how_many(tmp_path):
    biller, _ = make_biller("Acme Supply Co.")
    out, err = run("customers", str(write(tmp_path, "c.csv", CUSTOMERS)), "--biller", biller.slug)
    assert out == "Imported 2 customers.\n"
    assert sorted(Customer.objects.filter(biller=biller).values_list("reference", flat=True)) == ["GLX-1", "INI-7"]
    assert "100% importing 2/2 rows" in err


def test_it_imports_invoices(acme, tmp_path):
    out, _ = run("invoices", str(write(tmp_path, "i.csv", INVOICES)), "--biller", acme.slug)
    assert out == "Imported 2 invoices with 3 lines.\n"
    assert dict(Invoice.objects.filter(biller=acme).values_list("number", "total_cents")) == {
        "A-1": 6497,
        "INV-00001": 30000,
    }


def test_problems_are_printed_by_line_and_nothing_is_imported(acme, tmp_path):
    with pytest.raises(CommandError, match=r"^Nothing was imported\.$"):
        run("invoices", str(write(tmp_path, "bad.csv", BAD_INVOICES)), "--biller", acme.slug)
    assert Invoice.objects.count() == 0


def test_the_problems_go_to_stderr_one_per_line(acme, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError):
        path = write(tmp_path, "bad.csv", BAD_INVOICES)
        call_command("import", "invoices", str(path), "--biller", acme.slug, stdout=io.StringIO(), stderr=err)
    problems = [line for line in err.getvalue().splitlines() if line.startswith("line ")]
    assert problems == [
        "line 3, Customer reference: No customer has the reference “NOBODY”. Import your customers first, or check it.",
        "line 4, Unit price: “12.345” has more than two decimals; amounts are in dollars and cents.",
    ]


def test_a_file_that_is_not_utf8_is_refused(acme, tmp_path):
    err = io.StringIO()
    path = write(tmp_path, "excel.csv", "Name,Email\r\nCafé,ap@cafe.example\r\n", encoding="cp1252")
    with pytest.raises(CommandError):
        call_command("import", "customers", str(path), "--biller", acme.slug, stderr=err)
    assert "The file is not UTF-8 text. In Excel choose “CSV UTF-8 (Comma delimited)” when saving." in err.getvalue()


def test_an_unknown_biller_is_named(tmp_path):
    with pytest.raises(CommandError, match="No biller has the portal address “nobody”"):
        run("customers", str(write(tmp_path, "c.csv", CUSTOMERS)), "--biller", "nobody")


def test_an_old_portal_address_points_to_the_new_one(tmp_path):
    biller, owner = make_biller("Acme Supply Co.")
    old = biller.slug
    biller_change_slug(biller=biller, actor=owner, slug="acme-supply-co")
    with pytest.raises(CommandError, match="It is now “acme-supply-co”"):
        run("customers", str(write(tmp_path, "c.csv", CUSTOMERS)), "--biller", old)


def test_a_missing_file_is_named(acme, tmp_path):
    with pytest.raises(CommandError, match=r"Can't open .*nothing\.csv: No such file or directory"):
        run("customers", str(tmp_path / "nothing.csv"), "--biller", acme.slug)


def test_without_a_terminal_the_progress_is_a_few_lines(acme, tmp_path):
    rows = "".join(f",GLX-1,2025-01-15,Net 30,Item {n},1,{n}\r\n" for n in range(1, 3001))
    path = write(tmp_path, "many.csv", INVOICES.splitlines(keepends=True)[0] + rows)
    _, err = run("invoices", str(path), "--biller", acme.slug)
    lines = err.splitlines()
    assert 3 <= len(lines) <= 5
    assert "\r" not in err
    assert lines[-1] == "[" + "#" * 30 + "] 100% importing 3,000/3,000 rows"


def test_on_a_terminal_the_bar_is_redrawn_in_place(acme, tmp_path):
    rows = "".join(f",GLX-1,2025-01-15,Net 30,Item {n},1,{n}\r\n" for n in range(1, 3001))
    path = write(tmp_path, "many.csv", INVOICES.splitlines(keepends=True)[0] + rows)
    terminal = Terminal()
    call_command("import", "invoices", str(path), "--biller", acme.slug, stdout=io.StringIO(), stderr=terminal)
    drawn = terminal.getvalue()
    assert drawn.count("\r") >= 10
    assert drawn.endswith("100% importing 3,000/3,000 rows  \n")


def test_the_bar_reads_like_a_bar():
    assert ProgressBar.render(5_200, 20_000) == "[#######-----------------------]  26% checking 5,200/10,000 rows"
    assert ProgressBar.render(15_000, 20_000) == "[######################--------]  75% importing 5,000/10,000 rows"


# --- A real process ------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The test database, for a child process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{db['NAME']}"
    else:
        url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "REMIT_DATA_DIR": str(settings.DATA_DIR)}


@pytest.mark.django_db(transaction=True)
def test_the_remit_command_exits_with_status_1_and_no_traceback(tmp_path):
    biller, _ = make_biller("Acme Supply Co.")
    run("customers", str(write(tmp_path, "c.csv", CUSTOMERS)), "--biller", biller.slug)
    command = [sys.executable, "-m", "remit", "import", "invoices"]
    bad = subprocess.run(
        [*command, str(write(tmp_path, "bad.csv", BAD_INVOICES)), "--biller", biller.slug],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr
    assert "line 4, Unit price: “12.345” has more than two decimals" in bad.stderr
    assert "Nothing was imported." in bad.stderr
    assert Invoice.objects.count() == 0
    good = subprocess.run(
        [*command, str(write(tmp_path, "good.csv", INVOICES)), "--biller", biller.slug],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (good.returncode, good.stdout) == (0, "Imported 2 invoices with 3 lines.\n"), good.stderr
    assert Invoice.objects.filter(biller=biller).count() == 2
