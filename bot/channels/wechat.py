"""WeChat Official Account channel for customers (Rasa custom input channel).

Speaks WeChat's server protocol through wechatpy: the GET signature handshake, POSTed
XML messages in plain and safe (AES) mode, passive replies and, when the bot needs
longer than WeChat's 5-second window, "success" at once and the reply later through
the customer-service message API.

The channel only speaks the protocol. Who the customer is, what she may see, the
handoff queue: the services behind the actions decide. Events become intents the
bot already knows (subscribe -> `/greet`, unsubscribe -> `/unsubscribe`; image,
voice and the like -> `/send_media`), so every answer comes from domain.yml.

URL: GET/POST /webhooks/wechat/webhook. Settings (credentials.yml key
`bot.channels.wechat.WeChatInput`, each falling back to an environment variable):
token (SALESBOT_WECHAT_TOKEN), encoding_aes_key (SALESBOT_WECHAT_AES_KEY), appid
(SALESBOT_WECHAT_APPID, for safe mode), reply_within_seconds
(SALESBOT_WECHAT_REPLY_WITHIN, 4.0), max_clock_skew_seconds (300). Late replies go
out through the API client every process shares (bootstrap `send_text`, credentials
from the environment), each taking one message of her window.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import bootstrap
from bot.identity.senders import wechat_sender

logger = logging.getLogger(__name__)

DEV_TOKEN = "salesbot-dev-token"
MAX_BODY_BYTES = 64 * 1024
MAX_TEXT_CHARS = 1000
OPENID = re.compile(r"^[A-Za-z0-9_-]{6,64}$")
DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
MEDIA = frozenset({"image", "voice", "video", "shortvideo", "location", "link", "file"})
SUCCESS = "success"
REMEMBER_SECONDS = 600
REMEMBER_MAX = 10_000


class BadRequest(ValueError):
    """The request is not a well-formed WeChat message (answered with 400)."""


class Forbidden(ValueError):
    """Signature missing or wrong, or the timestamp is stale (answered with 403)."""


class WeChatOutput(CollectingOutputChannel):
    """Collects the bot's replies; its name selects `channel: wechat` responses."""

    @classmethod
    def name(cls) -> str:
        return "wechat"


@dataclass
class Inbound:
    """One message as the bot sees it."""

    openid: str
    account: str
    key: str
    kind: str
    text: str | None
    silent: bool = False
    subscribed: tuple[str, ...] = ()  # template ids of one-off subscriptions


@dataclass
class Delivery:
    """How a message's replies went out: shared by WeChat's retries of it."""

    decided: asyncio.Event = field(default_factory=asyncio.Event)
    replies: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Settings:
    token: str
    encoding_aes_key: str | None
    appid: str | None
    reply_within_seconds: float
    max_clock_skew_seconds: int

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> Settings:
        given = credentials or {}

        def value(key: str, env: str) -> str | None:
            found = given.get(key) or os.environ.get(env)
            return str(found) if found else None

        token = value("token", "SALESBOT_WECHAT_TOKEN")
        if not token:
            logger.warning(
                "WeChat channel: no token configured, using the development token "
                "%r; set SALESBOT_WECHAT_TOKEN before exposing the server",
                DEV_TOKEN,
            )
        return cls(
            token=token or DEV_TOKEN,
            encoding_aes_key=value("encoding_aes_key", "SALESBOT_WECHAT_AES_KEY"),
            appid=value("appid", "SALESBOT_WECHAT_APPID"),
            reply_within_seconds=float(
                value("reply_within_seconds", "SALESBOT_WECHAT_REPLY_WITHIN") or 4.0
            ),
            max_clock_skew_seconds=int(given.get("max_clock_skew_seconds", 300)),
        )


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(Settings.from_credentials(credentials))

    def __init__(self, settings: Settings, send_text=None) -> None:
        self.settings = settings
        self._crypto = None
        if settings.encoding_aes_key:
            from wechatpy.crypto import WeChatCrypto

            self._crypto = WeChatCrypto(
                settings.token, settings.encoding_aes_key, settings.appid or ""
            )
        self._send_text = send_text
        self._seen: OrderedDict[str, Delivery] = OrderedDict()
        self._background: set[asyncio.Task] = set()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        hook = Blueprint("wechat_webhook", __name__)

        @hook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            try:
                self._check_signature(request)
            except Forbidden as refused:
                return response.text(str(refused), status=403)
            echo = request.args.get("echostr")
            if not echo:
                return response.text("echostr is missing", status=400)
            return response.text(echo)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            started = time.monotonic()
            try:
                self._check_signature(request)
                message = self._parse(request)
            except Forbidden as refused:
                return response.text(str(refused), status=403)
            except BadRequest as bad:
                return response.text(str(bad), status=400)
            try:
                replies = await self._answer(message, on_new_message, started)
            except Exception:
                logger.exception("WeChat message %s failed", message.key)
                return response.text(SUCCESS)
            return self._reply(request, message, replies)

        return hook

    def _check_signature(self, request: Request) -> None:
        from wechatpy.utils import WeChatSigner

        args = request.args
        signature = args.get("signature")
        timestamp = args.get("timestamp")
        nonce = args.get("nonce")
        if not (signature and timestamp and nonce):
            raise Forbidden("signature, timestamp and nonce are required")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > (
            self.settings.max_clock_skew_seconds
        ):
            raise Forbidden("the timestamp is stale")
        signer = WeChatSigner()
        signer.add_data(self.settings.token, timestamp, nonce)
        if not hmac.compare_digest(signer.signature, signature):
            raise Forbidden("the signature does not match")

    def _parse(self, request: Request) -> Inbound:
        from wechatpy import parse_message
        from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException

        body = request.body or b""
        if len(body) > MAX_BODY_BYTES:
            raise BadRequest("the body is too large")
        if DECLARATION.search(body):
            raise BadRequest("XML declarations (DOCTYPE, ENTITY) are not accepted")
        if request.args.get("encrypt_type") == "aes":
            if self._crypto is None:
                raise BadRequest("safe mode is not configured (encoding_aes_key)")
            msg_signature = request.args.get("msg_signature")
            if not msg_signature:
                raise Forbidden("msg_signature is required in safe mode")
            try:
                body = self._crypto.decrypt_message(
                    body,
                    msg_signature,
                    request.args.get("timestamp"),
                    request.args.get("nonce"),
                )
            except (InvalidSignatureException, InvalidAppIdException):
                raise Forbidden("the message signature does not match") from None
            except Exception:  # noqa: BLE001 (anything malformed is the sender's)
                raise BadRequest("the encrypted message cannot be read") from None
            if isinstance(body, str):
                body = body.encode("utf-8")
            if DECLARATION.search(body):
                raise BadRequest("XML declarations (DOCTYPE, ENTITY) are not accepted")
        try:
            parsed = parse_message(body.decode("utf-8"))
        except Exception:  # noqa: BLE001 (bad encoding, bad XML, missing fields)
            raise BadRequest("the body is not a WeChat XML message") from None
        return _inbound(parsed._data if parsed is not None else None)

    async def _answer(
        self,
        message: Inbound,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        started: float,
    ) -> str | None:
        """The text to reply in the HTTP response, or None for "success"."""
        earlier = self._seen.get(message.key)
        if earlier is not None:
            return await self._same_as(earlier, started)
        delivery = self._remember(message.key)
        try:
            delivery.replies = await self._process(message, on_new_message, started)
        finally:
            delivery.decided.set()
        return delivery.replies

    async def _process(
        self,
        message: Inbound,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        started: float,
    ) -> str | None:
        services = bootstrap.services()
        fresh = await asyncio.to_thread(
            services.identity.record_inbound,
            "wechat",
            message.key,
            message.openid,
            message.kind,
        )
        if not fresh:  # a retry another server took first
            return await self._decided_elsewhere(message.key, started)
        replies = await self._respond(message, on_new_message, started)
        await asyncio.to_thread(
            services.identity.decide_inbound, "wechat", message.key, replies
        )
        return replies

    async def _decided_elsewhere(self, key: str, started: float) -> str | None:
        """The answer the server that took the message gave (WeChat retries the
        same message when it missed the reply, to any server behind the balancer);
        None ("success") when it is not decided within the reply budget."""
        identity = bootstrap.services().identity
        while True:
            decided, reply = await asyncio.to_thread(
                identity.inbound_decision, "wechat", key
            )
            if decided:
                return reply
            if time.monotonic() - started >= self.settings.reply_within_seconds:
                return None
            await asyncio.sleep(0.1)

    async def _respond(
        self,
        message: Inbound,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        started: float,
    ) -> str | None:
        services = bootstrap.services()
        await asyncio.to_thread(
            services.windows.interacted, message.openid, message.kind
        )
        if message.subscribed:
            await asyncio.to_thread(
                services.windows.subscribed, message.openid, message.subscribed
            )
        if message.text is None:
            return None
        sender = wechat_sender(message.openid)
        if message.kind != "unsubscribe":
            waiting = await asyncio.to_thread(services.handoff.waiting, sender)
            if waiting is not None:
                said = message.text if message.kind == "text" else f"[{message.kind}]"
                await asyncio.to_thread(services.handoff.customer_said, waiting, said)
                return None
        collector = WeChatOutput()
        user_message = UserMessage(
            message.text,
            collector,
            sender,
            input_channel=self.name(),
            metadata={"wechat": {"kind": message.kind, "account": message.account}},
        )
        task = asyncio.create_task(on_new_message(user_message))
        budget = self.settings.reply_within_seconds - (time.monotonic() - started)
        done, _ = await asyncio.wait({task}, timeout=max(budget, 0))
        if task in done and task.exception() is None:
            return None if message.silent else _joined(collector)
        self._later(task, collector, message)
        return None

    async def _same_as(self, earlier: Delivery, started: float) -> str | None:
        """A retry of a message being (or already) answered: never run it twice."""
        budget = self.settings.reply_within_seconds - (time.monotonic() - started)
        try:
            await asyncio.wait_for(earlier.decided.wait(), timeout=max(budget, 0))
        except asyncio.TimeoutError:
            return None
        return earlier.replies

    def _remember(self, key: str) -> Delivery:
        now = time.monotonic()
        while self._seen and (
            len(self._seen) >= REMEMBER_MAX
            or now - next(iter(self._seen.values())).at > REMEMBER_SECONDS
        ):
            self._seen.popitem(last=False)
        delivery = self._seen[key] = Delivery()
        return delivery

    def _later(self, task: asyncio.Task, collector: WeChatOutput, message) -> None:
        """Too slow for the HTTP reply: send through the customer-service API."""

        async def deliver() -> None:
            try:
                await task
            except Exception:
                logger.exception("WeChat message %s failed", message.key)
                return
            text = _joined(collector)
            if not text or message.silent:
                return
            windows = bootstrap.services().windows
            if not await asyncio.to_thread(windows.reserve, message.openid):
                logger.warning(
                    "late reply to message %s not sent: her customer-service "
                    "window is closed or used up",
                    message.key,
                )
                return
            try:
                await asyncio.to_thread(self._sender(), message.openid, text)
            except Exception:
                logger.exception("WeChat reply to message %s not sent", message.key)

        job = asyncio.create_task(deliver())
        self._background.add(job)
        job.add_done_callback(self._background.discard)

    def _sender(self):
        if self._send_text is None:
            self._send_text = bootstrap.services().send_text()
        return self._send_text

    def _reply(self, request: Request, message: Inbound, text: str | None):
        from wechatpy.replies import TextReply

        if not text:
            return response.text(SUCCESS)
        xml = TextReply(
            source=message.account, target=message.openid, content=text
        ).render()
        if request.args.get("encrypt_type") == "aes" and self._crypto is not None:
            xml = self._crypto.encrypt_message(
                xml, request.args.get("nonce"), request.args.get("timestamp")
            )
        return response.text(xml, content_type="application/xml; charset=utf-8")


def _inbound(data: Any) -> Inbound:
    """The message's fields, checked: every value used must be a plain string."""
    if not isinstance(data, dict):
        raise BadRequest("the body is not a WeChat XML message")

    def text_of(name: str, required: bool = True) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise BadRequest(f"{name} is missing or not text")
        return value

    openid = text_of("FromUserName")
    if not OPENID.match(openid):
        raise BadRequest("FromUserName is not an openid")
    account = text_of("ToUserName")
    kind = text_of("MsgType").lower()
    created = text_of("CreateTime")
    if kind == "event":
        event = (text_of("Event") or "").lower()
        key = f"{openid}:{created}:{event}"[:96]
        if event == "subscribe":
            return Inbound(openid, account, key, "subscribe", "/greet")
        if event == "unsubscribe":
            return Inbound(openid, account, key, "unsubscribe", "/unsubscribe", True)
        if event == "subscribe_msg_popup_event":
            accepted = _accepted_templates(data.get("SubscribeMsgPopupEvent"))
            return Inbound(openid, account, key, "event:popup", None, True, accepted)
        return Inbound(openid, account, key, f"event:{event}"[:16], None)
    msg_id = text_of("MsgId", required=False) or f"{openid}:{created}"
    if not msg_id.replace(":", "").replace("-", "").replace("_", "").isalnum():
        raise BadRequest("MsgId is malformed")
    key = msg_id[:96]
    if kind in MEDIA:
        return Inbound(openid, account, key, kind, "/send_media")
    if kind != "text":
        return Inbound(openid, account, key, kind[:16], None)
    content = (text_of("Content", required=False) or "").strip()
    # A leading "/" would be read by Rasa as an intent typed by hand.
    content = content.lstrip("/／ ").strip()[:MAX_TEXT_CHARS]
    return Inbound(openid, account, key, "text", content or None)


def _accepted_templates(popup: Any) -> tuple[str, ...]:
    """Template ids she accepted in WeChat's one-off subscription popup event."""
    items = popup.get("List") if isinstance(popup, dict) else None
    if isinstance(items, dict):
        items = [items]
    accepted = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        template = item.get("TemplateId")
        status = item.get("SubscribeStatusString")
        if isinstance(template, str) and status == "accept" and len(template) <= 64:
            accepted.append(template)
    return tuple(accepted)


def _joined(collector: WeChatOutput) -> str | None:
    """One WeChat text for all replies; choices (buttons elsewhere) become numbered
    lines she answers by typing the number."""
    texts = [with_numbered_choices(m) for m in collector.messages if m.get("text")]
    return "\n\n".join(texts) or None


def with_numbered_choices(message: dict) -> str:
    choices = message.get("buttons") or []
    lines = [f"{n}. {b.get('title', '')}" for n, b in enumerate(choices, start=1)]
    return "\n".join([message["text"], *lines])
