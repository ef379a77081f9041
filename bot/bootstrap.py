"""Builds the object graph on first use; nothing is built at import time.

Entrypoints (actions, CLI, consoles) call `services()`; tests may call `configure()`
with their own database URL or knowledge folder first.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from bot import config
from bot.db.engine import shared_engine
from bot.knowledge import Knowledge, load_knowledge
from bot.services.customers import CustomerService

if TYPE_CHECKING:  # imported on first use: scipy and scikit-learn cost start-up time
    from bot.services.care_desk import CareDesk
    from bot.services.conversations import ConversationLog
    from bot.services.handoff import HandoffService
    from bot.services.identity import IdentityService
    from bot.services.recommendations import RecommendationService
    from bot.services.staff_auth import StaffAuth


@dataclass
class Services:
    database_url: str
    knowledge_dir: Path
    model_dir: Path

    @cached_property
    def engine(self) -> Engine:
        return shared_engine(self.database_url)

    @cached_property
    def knowledge(self) -> Knowledge:
        return load_knowledge(self.knowledge_dir)

    @cached_property
    def customers(self) -> CustomerService:
        return CustomerService(
            self.engine,
            self.knowledge,
            config.business_timezone(),
            scale_ttl_seconds=config.value_scale_ttl_seconds(),
        )

    @cached_property
    def care(self) -> CareDesk:
        from bot.services.care_desk import CareDesk

        return CareDesk(self.engine, self.knowledge, config.business_timezone())

    @cached_property
    def identity(self) -> IdentityService:
        from bot.channels.code_delivery import code_sender
        from bot.services.identity import IdentityService

        return IdentityService(self.engine, self.knowledge, code_sender())

    @cached_property
    def worklist(self):
        from bot.services.worklist import WorklistService

        return WorklistService(self.engine, config.business_timezone())

    @cached_property
    def live(self):
        from bot.services.live import LiveState

        return LiveState(self.engine)

    @cached_property
    def handoff(self) -> HandoffService:
        from bot.services.handoff import HandoffService

        return HandoffService(self.engine, self.knowledge)

    @cached_property
    def windows(self):
        from bot.services.wechat_windows import WindowService

        return WindowService(self.engine)

    @cached_property
    def wechat(self):
        """The Official Account's API with the token shared by every process, or
        None when SALESBOT_WECHAT_APPID/_SECRET are not set."""
        credentials = config.wechat_credentials()
        if credentials is None:
            return None
        from bot.outbound.wechat import WeChatOutbound, wechat_client
        from bot.outbound.wechat_token import shared_session

        appid, secret, base = credentials
        session = shared_session(self.engine, config.redis_url())
        return WeChatOutbound(wechat_client(appid, secret, session, base))

    def send_text(self):
        """`send(openid, text)`: WeChat's customer-service API, or in development
        var/outbox/wechat-replies.jsonl."""
        if self.wechat is not None:
            return self.wechat.send_text
        from bot.outbound.outlets import file_text_sender

        path = config.PROJECT_ROOT / "var" / "outbox" / "wechat-replies.jsonl"
        return file_text_sender(path)

    @cached_property
    def login_throttle(self):
        """Failed logins per client address, shared by every console server."""
        from bot.db.login_throttle import login_throttle

        return login_throttle(self.engine, config.redis_url())

    @cached_property
    def staff_auth(self) -> StaffAuth:
        from bot.services.staff_auth import StaffAuth

        return StaffAuth(self.engine)

    @cached_property
    def intents(self) -> list[str]:
        """The intents of domain.yml (the corrections managers may choose from)."""
        import yaml

        domain = yaml.safe_load((config.PROJECT_ROOT / "domain.yml").read_text("utf-8"))
        return list(domain["intents"])

    @cached_property
    def conversations(self) -> ConversationLog:
        from bot.db.tracker_store import TrackerStore
        from bot.services.conversations import ConversationLog

        tracker = TrackerStore(shared_engine(config.tracker_url()))
        return ConversationLog(
            self.engine,
            tracker,
            config.business_timezone(),
            self.intents,
            segment_names=self.knowledge.segments.display_names()["segment"],
        )

    @cached_property
    def dashboard(self):
        from bot.services.dashboard import Dashboard

        rules = self.knowledge.care
        return Dashboard(
            self.engine,
            self.conversations,
            config.business_timezone(),
            rules.conversion_days,
            rules.reply_hours,
        )

    @cached_property
    def recommendations(self) -> RecommendationService:
        from bot.services.recommendations import RecommendationService

        return RecommendationService(
            self.engine,
            self.knowledge,
            config.business_timezone(),
            self.model_dir,
            check_seconds=config.model_check_seconds(),
        )


_lock = threading.Lock()
_services: Services | None = None


def configure(
    database_url: str | None = None,
    knowledge_dir: Path | None = None,
    model_dir: Path | None = None,
) -> Services:
    global _services
    with _lock:
        _services = Services(
            database_url or config.database_url(),
            knowledge_dir or config.knowledge_dir(),
            model_dir or config.model_dir(),
        )
        return _services


def services() -> Services:
    with _lock:
        current = _services
    return current or configure()
