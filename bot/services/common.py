"""What every use case about one customer does: find her, and audit the read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.db.repositories import CustomerRepository, CustomerRow
from bot.db.uow import UnitOfWork


class UnknownCustomer(LookupError):
    def __init__(self, customer_id: int) -> None:
        super().__init__(f"customer {customer_id} does not exist")
        self.customer_id = customer_id


def require_customer(customers: CustomerRepository, customer_id: int) -> CustomerRow:
    row = customers.get(customer_id)
    if row is None:
        raise UnknownCustomer(customer_id)
    return row


def audit(
    uow: UnitOfWork,
    at: dt.datetime,
    actor,
    action: str,
    customer_id: int | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit row: who (`actor`, a services.customers.Actor), what, about whom."""
    uow.audit.record(
        actor=actor.label(),
        action=action,
        channel=actor.channel,
        customer_id=customer_id,
        detail=detail,
        at=at,
    )
