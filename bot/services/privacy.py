"""Retention and erasure (PIPL / GDPR).

`purge` deletes conversation logs older than the retention period. `forget` erases
one customer: her conversations (every conversation in which she was in context, and
her WeChat conversation), handoffs, messages, codes, preferences, snapshots and
suggestions; her customer row is anonymised, not deleted, because the orders (kept
for the books) point to it. The audit log keeps who erased whom and when, and no
personal data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Engine

from bot.db import tables as t
from bot.db.console_store import ConsoleMessageStore
from bot.db.summary_store import SummaryStore
from bot.db.tracker_store import TrackerStore
from bot.db.uow import UnitOfWork
from bot.identity.senders import wechat_sender
from bot.services.common import audit, require_customer
from bot.services.conversation_index import ConversationIndex
from bot.services.customers import Actor
from bot.timeutil import utcnow

ERASED_NAME = "已删除"


def purge(
    engine: Engine,
    tracker: TrackerStore,
    days: int,
    actor: Actor | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
) -> dict[str, int]:
    now = clock()
    cutoff = now - dt.timedelta(days=days)
    epoch = cutoff.replace(tzinfo=dt.timezone.utc).timestamp()
    counts = {"conversation events": tracker.delete_before(epoch)}
    handoffs = t.handoffs
    with UnitOfWork(engine) as uow:
        c = uow.connection
        summaries = SummaryStore(c)
        counts["conversation summaries"] = summaries.ended_before(cutoff)
        counts["tablet message ids"] = ConsoleMessageStore(c).older_than(cutoff)
        trimmed = summaries.spanning(cutoff)
        old = select(handoffs.c.id).where(
            handoffs.c.status != "waiting", handoffs.c.created_at < cutoff
        )
        counts["handoff messages"] = c.execute(
            delete(t.handoff_messages).where(t.handoff_messages.c.handoff_id.in_(old))
        ).rowcount
        counts["handoffs"] = c.execute(
            delete(handoffs).where(
                handoffs.c.status != "waiting", handoffs.c.created_at < cutoff
            )
        ).rowcount
        counts["inbound messages"] = c.execute(
            delete(t.inbound_messages).where(t.inbound_messages.c.received_at < cutoff)
        ).rowcount
        counts["verification codes"] = c.execute(
            delete(t.verification_codes).where(
                t.verification_codes.c.created_at < cutoff
            )
        ).rowcount
        audit(
            uow,
            now,
            actor or Actor("cli", "cli"),
            "purge_logs",
            None,
            {"days": days, **{k.replace(" ", "_"): v for k, v in counts.items()}},
        )
        uow.commit()
    # what is left of a conversation that began before the cutoff is summarised anew
    ConversationIndex(engine).reindex(tracker, trimmed)
    return counts


def forget(
    engine: Engine,
    tracker: TrackerStore,
    customer_id: int,
    actor: Actor,
    clock: Callable[[], dt.datetime] = utcnow,
) -> dict[str, int]:
    now = clock()
    people = t.customers
    with UnitOfWork(engine) as uow:
        c = uow.connection
        require_customer(uow.customers, customer_id)
        phone, openid = c.execute(
            select(people.c.phone, people.c.wechat_openid).where(
                people.c.id == customer_id
            )
        ).one()
    senders = set(tracker.senders_about(customer_id))
    if openid:
        senders.add(wechat_sender(openid))
    counts = {"conversation events": tracker.delete_senders(senders)}
    with UnitOfWork(engine) as uow:
        c = uow.connection
        hers = or_(
            t.handoffs.c.customer_id == customer_id, t.handoffs.c.openid == openid
        )
        ids = select(t.handoffs.c.id).where(hers)
        counts["handoff messages"] = c.execute(
            delete(t.handoff_messages).where(t.handoff_messages.c.handoff_id.in_(ids))
        ).rowcount
        counts["handoffs"] = c.execute(delete(t.handoffs).where(hers)).rowcount
        inbound = t.inbound_messages
        counts["inbound messages"] = c.execute(
            delete(inbound).where(
                or_(inbound.c.customer_id == customer_id, inbound.c.openid == openid)
            )
        ).rowcount
        codes = t.verification_codes
        counts["verification codes"] = c.execute(
            delete(codes).where(
                or_(codes.c.customer_id == customer_id, codes.c.phone == phone)
            )
        ).rowcount
        counts["conversation summaries"] = SummaryStore(c).delete_senders(senders)
        if senders:
            counts["corrections"] = c.execute(
                delete(t.nlu_corrections).where(
                    t.nlu_corrections.c.sender_id.in_(senders)
                )
            ).rowcount
        for name, table in (
            ("preferences", t.preferences),
            ("care messages", t.care_outbox),
            ("suggestions", t.recommendation_log),
            ("segment snapshots", t.segment_snapshots),
        ):
            counts[name] = c.execute(
                delete(table).where(table.c.customer_id == customer_id)
            ).rowcount
        c.execute(
            update(people)
            .where(people.c.id == customer_id)
            .values(
                member_no=f"DEL{customer_id:09d}"[:16],
                name=ERASED_NAME,
                phone=None,
                birthday=None,
                gender="U",
                wechat_openid=None,
                marketing_consent=False,
                service_consent=False,
                consent_updated_at=now,
            )
        )
        audit(uow, now, actor, "forget_customer", customer_id, counts)
        uow.commit()
    return counts
