"""The worker's bank duties: deliver a file as soon as its export committed (queued by the
``file_written`` hook), and, regularly, a round with each connected bank — deliveries that are due
(retries, and any whose task was lost), late-file notices, pick-up. Safe to run any number of
times, by any number of workers."""

from __future__ import annotations

import logging

from celery import shared_task

from remit.bank.delivery import bank_deliver as deliver
from remit.bank.sync import bank_sync, connected_billers

log = logging.getLogger(__name__)


@shared_task
def bank_deliver(delivery_id: int) -> bool:
    return deliver(delivery_id).done


@shared_task
def bank_sync_due() -> int:
    """A round with every connected bank; returns how many files were delivered or picked up."""
    moved = 0
    for biller in connected_billers():
        done = bank_sync(biller=biller)
        moved += sum(outcome.done for outcome in done.deliveries) + len(done.pickup.imported)
        if done.pickup.error:
            log.warning("Pick-up from the bank of %s failed: %s", biller.slug, done.pickup.error)
    return moved
