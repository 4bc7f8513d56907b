"""The corpus of return / NOC files (``returns_corpus/``) and the world they answer.

The world is one balanced file Remit really exports: four CCD debits of Acme Supply Co. (ODFI
111000025, so trace numbers 111000020000001–4) and the offset credit to Acme's settlement account
(trace 111000020000005). Its traces and amounts are the same on every run, so the corpus files can be
written once and kept: ``write_corpus`` builds each from the export, through the bank simulator, then
transformed into the layout it stands for (or written record by record where the layout is one the
simulator does not write: another originator's batches, an IAT batch, dishonored and contested
addenda, moov-io/ach's samples re-made with our traces). To write them again after a change:

    REMIT_WRITE_CORPUS=1 .venv/bin/pytest -q remit/ach/tests/test_returns_corpus.py -k write

``test_returns_corpus.py`` imports each into a fresh copy of the world and checks its effect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from remit.ach.bank_sim import returns_for
from remit.ach.nacha import PADDING_RECORD, RECORD_LENGTH, routing_check_digit
from remit.ach.stored import file_text

CORPUS = Path(__file__).parent / "returns_corpus"
TODAY = date(2026, 3, 5)  # the bank's files of the corpus are dated this day
ODFI = "111000025"
SETTLEMENT_ACCOUNT = "987654321012"
COMPANY_ID = "1234567890"
# name → (customer, invoice number, cents, account number)
PAYMENTS = {
    "P1": ("Globex Corporation", "INV-1", 25000, "123456789"),
    "P2": ("Globex Corporation", "INV-2", 4500, "123456789"),
    "P3": ("Initech LLC", "INV-3", 12000, "5550001111"),
    "P4": ("Umbrella Corp", "INV-4", 8000, "7770002222"),
}
OFFSET_CENTS = sum(cents for _, _, cents, _ in PAYMENTS.values())


def trace(sequence: int) -> str:
    return f"{ODFI[:8]}{sequence:07d}"


TRACES = {name: trace(n) for n, name in enumerate(PAYMENTS, start=1)}
OFFSET_TRACE = trace(len(PAYMENTS) + 1)


@dataclass
class World:
    acme: Any
    owner: Any
    payments: dict[str, Any]  # "P1" → Payment
    invoices: dict[str, Any]  # "INV-1" → Invoice
    file: Any  # the AchFile
    outbound: str


def build_world(run_on_commit: Any) -> World:
    """Acme's four payments, made in the portal's way and exported in one balanced file."""
    from remit.ach.actions import ach_settings_save
    from remit.ach.export import ach_export
    from remit.ach.tests.test_export import ach_fields
    from remit.payments.actions import payment_schedule
    from remit.test import make_bank_account, make_biller, make_customer, make_invoice, make_portal_user, soonest_pay_on

    acme, owner = make_biller("Acme Supply Co.")
    fields = ach_fields(balanced=True, settlement_routing="011000015", settlement_account=SETTLEMENT_ACCOUNT)
    ach_settings_save(biller=acme, actor=owner, fields=fields)
    pay_on = soonest_pay_on(acme)
    people: dict[str, tuple[Any, Any, Any]] = {}
    payments, invoices = {}, {}
    for name, (customer_name, number, cents, account_number) in PAYMENTS.items():
        if customer_name not in people:
            customer = make_customer(acme, customer_name, email=f"ap@{customer_name.split()[0].lower()}.example")
            admin = make_portal_user(customer)
            people[customer_name] = (customer, admin, make_bank_account(admin, number=account_number))
        customer, admin, account = people[customer_name]
        invoice = make_invoice(customer, amount_cents=cents, number=number)
        invoices[number] = invoice
        payments[name] = payment_schedule(
            payer=admin,
            invoice_ids=[invoice.pk],
            bank_account_id=account.pk,
            pay_on=pay_on,
            total_cents=cents,
            idempotency_key=uuid.uuid4().hex,
        )
    with run_on_commit(execute=True):
        record = ach_export(biller=acme, effective_date=pay_on).file
    assert record is not None
    outbound = file_text(record)
    return World(acme=acme, owner=owner, payments=payments, invoices=invoices, file=record, outbound=outbound)


# --- Layouts: a file's text, framed another way -------------------------------------------------------


def records(text: str) -> list[str]:
    return text.splitlines()


def lines(recs: list[str], end: str = "\n") -> str:
    return "".join(record + end for record in recs)


def crlf(text: str) -> str:
    return lines(records(text), "\r\n")


def no_line_breaks(text: str) -> str:
    """Every record straight after the other (moov-io/ach reads such a file as 940-character blocks)."""
    return "".join(records(text))


def blocks_per_line(text: str) -> str:
    """One line per block of ten records: 940 characters each."""
    recs = records(text)
    return lines(["".join(recs[i : i + 10]) for i in range(0, len(recs), 10)])


def without_padding(text: str) -> str:
    return lines([record for record in records(text) if record != PADDING_RECORD])


def trimmed(text: str) -> str:
    """Trailing spaces cut from every record, as some transfer software does."""
    return lines([record.rstrip(" ") for record in records(text)])


def with_field(record: str, first: int, last: int, value: str) -> str:
    """``record`` with positions first-last (1-based, inclusive) replaced by ``value``."""
    assert len(value) == last - first + 1, (value, first, last)
    return record[: first - 1] + value + record[last:]


def service_class(text: str, value: str) -> str:
    """Every batch header and control with another service class (positions 2-4)."""
    return lines([with_field(r, 2, 4, value) if r[0] in "58" else r for r in records(text)])


def edit(text: str, kind: str, change: Any) -> str:
    """``change`` applied to every record starting with ``kind`` (e.g. "7", or "799")."""
    return lines([change(r) if r.startswith(kind) else r for r in records(text)])


# --- Records written by hand ---------------------------------------------------------------------------


def record(*fields: str) -> str:
    text = "".join(fields)
    assert len(text) == RECORD_LENGTH, (len(text), text)
    return text


def assemble(header: str, batches: list[tuple[str, list[str]]], *, pad: bool = True) -> str:
    """A whole file from its header and its batches (header record, entry and addenda records): the
    batch controls, the file control and the padding computed as NACHA says."""
    out, file_hash, file_debits, file_credits, file_count = [header], 0, 0, 0, 0
    for batch_header, body in batches:
        entries = [r for r in body if r[0] == "6"]
        entry_hash = sum(int(r[3:11]) for r in entries)
        debits = sum(int(r[29:39]) for r in entries if r[2] in "6789")
        credits = sum(int(r[29:39]) for r in entries if r[2] in "1234")
        control = record(
            "8",
            batch_header[1:4],
            f"{len(body):06d}",
            f"{entry_hash % 10**10:010d}",
            f"{debits:012d}",
            f"{credits:012d}",
            batch_header[40:50],
            " " * 25,
            batch_header[79:87],
            batch_header[87:94],
        )
        out += [batch_header, *body, control]
        file_hash, file_debits, file_credits, file_count = (
            file_hash + entry_hash,
            file_debits + debits,
            file_credits + credits,
            file_count + len(body),
        )
    blocks = -(-(len(out) + 1) // 10)
    out.append(
        record(
            "9",
            f"{len(batches):06d}",
            f"{blocks:06d}",
            f"{file_count:08d}",
            f"{file_hash % 10**10:010d}",
            f"{file_debits:012d}",
            f"{file_credits:012d}",
            " " * 39,
        )
    )
    while pad and len(out) % 10:
        out.append(PADDING_RECORD)
    return lines(out)


def file_header(origin: str = " 111000025", destination: str = COMPANY_ID, modifier: str = "A") -> str:
    return record(
        "101",
        destination.rjust(10),
        origin.rjust(10),
        f"{TODAY:%y%m%d}",
        "0000",
        modifier,
        "094101",
        "ACME SUPPLY CO".ljust(23),
        "FIRST DEMO BANK".ljust(23),
        "RETURNS ",
    )


def batch_header(
    number: int,
    *,
    service: str = "225",
    company: str = "ACME SUPPLY CO",
    company_id: str = COMPANY_ID,
    sec: str = "CCD",
    description: str = "INVOICE",
    odfi: str = "01100001",
    effective: str = f"{TODAY:%y%m%d}",
) -> str:
    return record(
        "5",
        service,
        company.ljust(16),
        " " * 20,
        company_id.ljust(10),
        sec,
        description.ljust(10),
        " " * 6,
        effective,
        "   ",
        "1",
        odfi,
        f"{number:07d}",
    )


def entry(
    code: int,
    routing: str,
    account: str,
    cents: int,
    trace_number: str,
    *,
    ident: str = "",
    name: str = "",
    addenda: bool = True,
) -> str:
    check = routing if len(routing) == 9 else routing + str(routing_check_digit(routing))
    return record(
        f"{code:02d}".rjust(3, "6"),
        check,
        account.ljust(17),
        f"{cents:010d}",
        ident.ljust(15),
        name.ljust(22),
        "  ",
        "1" if addenda else "0",
        trace_number,
    )


def return_addenda(code: str, original: str, rdfi: str, own_trace: str, info: str = "") -> str:
    return record("799", code, original, " " * 6, rdfi, info.ljust(44), own_trace)


def dishonored_addenda(
    code: str, original: str, rdfi: str, return_trace: str, return_reason: str, own_trace: str
) -> str:
    """moov-io/ach's Addenda99Dishonored layout."""
    return record(
        "799", code, original, " " * 6, rdfi, " " * 3, return_trace, "   ", return_reason, " " * 21, own_trace
    )


def contested_addenda(
    code: str,
    original: str,
    rdfi: str,
    return_trace: str,
    return_reason: str,
    dishonored_trace: str,
    dishonored_reason: str,
    own_trace: str,
) -> str:
    """moov-io/ach's Addenda99Contested layout."""
    return record(
        "799",
        code,
        original,
        f"{TODAY:%y%m%d}",
        rdfi,
        "   ",
        return_trace,
        "   ",
        return_reason,
        dishonored_trace,
        "   ",
        dishonored_reason,
        " ",
        own_trace,
    )


# --- The corpus ------------------------------------------------------------------------------------------

RDFI = "01100001"  # the customers' bank (routing 011000015), which sends the returns
RETURN_TRACE = f"{RDFI}0000001"  # the trace the bank simulator gives the first return entry
DISHONOR_TRACE = f"{ODFI[:8]}0000099"


def corpus_files(world: World) -> dict[str, str]:
    """Every file of the corpus, by name, made from the world's real export."""
    out = world.outbound
    r01 = returns_for(out, returns={TRACES["P1"]: "R01"}, today=TODAY)
    assert RETURN_TRACE in r01
    files = {
        "r01-plain.ach": r01,
        "r01-crlf.ach": crlf(r01),
        "r01-no-line-breaks.ach": no_line_breaks(r01),
        "r01-blocks-per-line.ach": blocks_per_line(r01),
        "r01-no-padding.ach": without_padding(r01),
        "r01-trailing-blank-lines.ach": r01 + " " * 94 + "\n" + "   \n\n",
        "r01-trimmed-lines.ach": trimmed(r01),
        "r01-lowercase.ach": r01.lower(),
        "r01-service-class-200.ach": service_class(r01, "200"),
        "r02-blocks-the-account.ach": returns_for(out, returns={TRACES["P3"]: "R02"}, today=TODAY),
        "offset-r03.ach": returns_for(out, returns={OFFSET_TRACE: "R03"}, today=TODAY),
        "noc-c01-addenda-trace-differs.ach": _noc(),
        "not-ours-mixed.ach": _not_ours_mixed(),
        "not-ours-same-trace-other-company.ach": _same_trace_other_company(),
        "not-ours-iat-batch.ach": _iat_and_ours(),
        "moov-return-web.ach": _moov_return_web(),
        "malformed-bad-hash.ach": edit(r01, "8", lambda r: with_field(r, 11, 20, "0000000001")),
        "malformed-truncated-trace.ach": lines([r[:90] if r[0] == "6" else r for r in records(r01)]),
    }
    for code in ("R61", "R67", "R68", "R69", "R70"):
        files[f"dishonored-{code.lower()}.ach"] = _dishonored(r01, code)
    for code in ("R71", "R72", "R73", "R74", "R75", "R76", "R77"):
        files[f"contested-{code.lower()}.ach"] = _contested(code)
    return files


def _dishonored(r01: str, code: str) -> str:
    """The return of P1, dishonored by Acme's bank: the same entry, its addenda in the dishonored layout."""
    return edit(
        r01,
        "799",
        lambda r: dishonored_addenda(code, TRACES["P1"], RDFI, RETURN_TRACE, "01", r[79:94]),
    )


def _contested(code: str) -> str:
    """The customer's bank contests Acme's bank's dishonor (R68) of its return R01 of P1."""
    own = f"{RDFI}0000002"
    body = [
        entry(26, ODFI, "123456789", 25000, own, ident="C-GLOBEX", name="GLOBEX CORPORATION"),
        contested_addenda(code, TRACES["P1"], RDFI, RETURN_TRACE, "01", DISHONOR_TRACE, "68", own),
    ]
    return assemble(file_header(), [(batch_header(1, odfi=RDFI), body)])


def _noc() -> str:
    """A notification of change for P3 (C01, a new account number) laid out as moov-io/ach's
    cor-example.ach: a 220 COR batch, effective date 000000, the addenda's own trace not its entry's."""
    own = f"{RDFI}0000001"
    body = [
        entry(26, ODFI, "5550001111", 0, own, ident="C-INITECH", name="INITECH LLC"),
        record("798", "C01", TRACES["P3"], " " * 6, RDFI, "5550009999".ljust(29), " " * 15, "091012980000088"),
    ]
    header = batch_header(1, service="225", sec="COR", odfi=RDFI, effective="000000")
    return assemble(file_header(), [(header, body)])


def _not_ours_mixed() -> str:
    """Acme's return of P2 (R01) between another originator's returns and an unrelated PPD batch of
    forward credits (its payroll), in one file from the bank."""
    other = [
        entry(26, "021000021", "44556677", 1999, "021000020000001", ident="X-1", name="SOMEONE ELSE"),
        return_addenda("R01", "021000020000417", "02100002", "021000020000001"),
        entry(36, "021000021", "99887766", 51000, "021000020000002", ident="X-2", name="ANOTHER PERSON"),
        return_addenda("R10", "021000020000418", "02100002", "021000020000002"),
    ]
    ours = [
        entry(26, ODFI, "123456789", 4500, f"{RDFI}0000001", ident="C-GLOBEX", name="GLOBEX CORPORATION"),
        return_addenda("R01", TRACES["P2"], RDFI, f"{RDFI}0000001"),
    ]
    payroll = [
        entry(22, "011000015", "1234500001", 150000, "021000020000101", name="JANE EMPLOYEE", addenda=False),
        entry(32, "011000015", "1234500002", 175000, "021000020000102", name="JOHN EMPLOYEE", addenda=False),
    ]
    batches = [
        (batch_header(1, company="OTHER CO", company_id="9876543210", sec="PPD", odfi="02100002"), other),
        (batch_header(2, odfi=RDFI), ours),
        (
            batch_header(
                3,
                service="220",
                company="OTHER CO",
                company_id="9876543210",
                sec="PPD",
                description="PAYROLL",
                odfi="02100002",
            ),
            payroll,
        ),
    ]
    return assemble(file_header(), batches)


def _same_trace_other_company() -> str:
    """Another originator at Acme's bank, whose trace sequence happens to reach Acme's: its return
    quotes P4's trace number and amount, but its company identification is not Acme's."""
    body = [
        entry(26, ODFI, "31313131", 8000, f"{RDFI}0000001", ident="Z-9", name="NOT A CUSTOMER"),
        return_addenda("R01", TRACES["P4"], RDFI, f"{RDFI}0000001"),
    ]
    header = batch_header(1, company="NEIGHBOUR INC", company_id="5550001234", odfi=RDFI)
    return assemble(file_header(), [(header, body)])


def _iat_and_ours() -> str:
    """An IAT batch of another originator (read for its controls only: entries with seven addenda of
    IAT's own types) and Acme's return of P4 (R01)."""
    iat_entry = record(
        "627", "02100002", "1", "0007", " " * 13, f"{31415:010d}", "GB29NWBK60161331926819".ljust(35),
        "  ", " ", " ", "1", "021000020000301",
    )  # fmt: skip
    kinds = ("10", "11", "12", "13", "14", "15", "16")
    iat = [iat_entry, *(record("7", kind, f"IAT ADDENDA {kind}".ljust(84), "0000301") for kind in kinds)]
    iat_header = record(
        "5", "225", " " * 16, "FF3", " " * 15, "US", "9876543210", "IAT", "REMITTANCE", "USDGBP",
        f"{TODAY:%y%m%d}", "   ", "1", "02100002", f"{1:07d}",
    )  # fmt: skip
    ours = [
        entry(26, ODFI, "7770002222", 8000, f"{RDFI}0000001", ident="C-UMBRELLA", name="UMBRELLA CORP"),
        return_addenda("R01", TRACES["P4"], RDFI, f"{RDFI}0000001"),
    ]
    return assemble(file_header(), [(iat_header, iat), (batch_header(2, odfi=RDFI), ours)])


def _moov_return_web() -> str:
    """moov-io/ach's return-WEB.ach layout with Acme's traces: two service class 200 batches, mixed
    case, no padding (ten records exactly): P1 returned R01, and the offset credit returned R03."""
    header = record(
        "101", " 111000025", " 091400606", f"{TODAY:%y%m%d}", "0306", "A", "094101",
        "First Demo Bank".ljust(23), "Acme Supply Co".ljust(23), " " * 8,
    )  # fmt: skip
    ours = [
        entry(26, ODFI, "123456789", 25000, "091000017611242", ident="MjMxNDAwMjAtOGQ", name="Globex Corporation"),
        return_addenda("R01", TRACES["P1"], "01100001", "091000017611242"),
    ]
    offset = [
        entry(
            21,
            ODFI,
            SETTLEMENT_ACCOUNT,
            OFFSET_CENTS,
            "021000029461242",
            ident="NmRjZTJmMzItMGN",
            name="Acme Supply Co",
        ),
        return_addenda("R03", OFFSET_TRACE, "01100001", "021000029461242"),
    ]
    batches = [
        (
            batch_header(1, service="200", company="AcmeSupplyCo", sec="WEB", description="Invoice", odfi="09100001"),
            ours,
        ),
        (
            batch_header(2, service="200", company="AcmeSupplyCo", sec="WEB", description="Invoice", odfi="02100002"),
            offset,
        ),
    ]
    return assemble(header, batches, pad=False)


def write_corpus(world: World, folder: Path = CORPUS) -> list[str]:
    folder.mkdir(exist_ok=True)
    names = []
    for name, text in sorted(corpus_files(world).items()):
        (folder / name).write_bytes(text.encode("ascii"))
        names.append(name)
    return names
