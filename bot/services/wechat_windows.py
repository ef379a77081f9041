"""Her WeChat customer-service window, shared by every process through the
database: opened by what she does, spent by every customer-service message."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from sqlalchemy.engine import Engine

from bot.care.routes import Window, opens_window
from bot.db.uow import UnitOfWork
from bot.db.wechat_store import WindowStore
from bot.timeutil import utcnow


class WindowService:
    def __init__(
        self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._clock = clock

    def interacted(self, openid: str, kind: str) -> Window | None:
        """She sent something (`kind` as the channel names it); returns her window
        when that opens one."""
        opens = opens_window(kind)
        if opens is None:
            return None
        with UnitOfWork(self._engine) as uow:
            window = WindowStore(uow.connection).opened(openid, opens, self._clock())
            uow.commit()
        return window

    def reserve(self, openid: str) -> bool:
        """Take one message of her open window (for a reply); False if none left."""
        with UnitOfWork(self._engine) as uow:
            taken = WindowStore(uow.connection).reserve(openid, self._clock())
            uow.commit()
        return taken

    def exhausted(self, openid: str) -> None:
        with UnitOfWork(self._engine) as uow:
            WindowStore(uow.connection).exhausted(openid)
            uow.commit()

    def subscribed(self, openid: str, template_ids: Iterable[str]) -> None:
        """She accepted one-off subscriptions (WeChat's popup event)."""
        with UnitOfWork(self._engine) as uow:
            store = WindowStore(uow.connection)
            for template_id in template_ids:
                store.grant(openid, template_id, self._clock())
            uow.commit()
