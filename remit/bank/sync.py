"""One round with the bank for a biller: queue the files written since its connection was turned on,
deliver those that are due, tell the owners about files late for the cut-off, and pick up what the
bank sent. What the worker's sweep and `remit bank sync` both do."""

from __future__ import annotations

from dataclasses import dataclass, field

from remit.bank.delivery import Outcome, bank_deliver, deliveries_create, due_deliveries, tell_late
from remit.bank.models import BankConnection
from remit.bank.pickup import PickupResult, bank_pick_up
from remit.billers.models import Biller


@dataclass
class Round:
    biller: Biller
    deliveries: list[Outcome] = field(default_factory=list)
    pickup: PickupResult = field(default_factory=PickupResult)
    late_notices: int = 0


def bank_sync(*, biller: Biller) -> Round:
    done = Round(biller)
    deliveries_create(biller)
    done.deliveries = [bank_deliver(delivery_id) for delivery_id in due_deliveries(biller)]
    done.late_notices = tell_late(biller)
    done.pickup = bank_pick_up(biller=biller)
    return done


def connected_billers() -> list[Biller]:
    """The billers whose bank connection is on, by portal slug."""
    connections = BankConnection.objects.filter(enabled=True).select_related("biller").order_by("biller__slug")
    return [connection.biller for connection in connections]
