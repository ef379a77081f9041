"""Plays WeChat's servers against our channel: builds, signs and (in safe mode)
encrypts real messages with wechatpy, and reads the replies back.

Used by `salesbot wechat-say`, the end-to-end tests and the latency benchmark.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

import requests
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner, random_string

ACCOUNT = "gh_salesbot"
_ids = itertools.count(int(time.time() * 1000))


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    reply: str | None  # the text of a passive reply, None for "success" or errors


class WeChatSimulator:
    def __init__(
        self,
        url: str,
        token: str,
        encoding_aes_key: str | None = None,
        appid: str | None = None,
        timeout: float = 30,
    ) -> None:
        self.url = url
        self.token = token
        self.crypto = (
            WeChatCrypto(token, encoding_aes_key, appid or "")
            if encoding_aes_key
            else None
        )
        self.timeout = timeout
        self.session = requests.Session()

    def signed(self, timestamp: int | None = None, nonce: str | None = None) -> dict:
        timestamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = nonce or random_string(10)
        signer = WeChatSigner()
        signer.add_data(self.token, timestamp, nonce)
        return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}

    def handshake(self, echo: str = "echo-123") -> requests.Response:
        return self.session.get(
            self.url, params={**self.signed(), "echostr": echo}, timeout=self.timeout
        )

    def text(self, openid: str, content: str, msg_id: int | None = None) -> Answer:
        fields = {"Content": content, "MsgId": str(msg_id or next(_ids))}
        return self.post(self.xml(openid, "text", fields), openid=openid)

    def media(self, openid: str, kind: str = "image") -> Answer:
        fields = {"MediaId": "media-1", "PicUrl": "http://example.invalid/p.jpg"}
        xml = self.xml(openid, kind, {**fields, "MsgId": str(next(_ids))})
        return self.post(xml, openid=openid)

    def event(self, openid: str, event: str) -> Answer:
        return self.post(self.xml(openid, "event", {"Event": event}), openid=openid)

    @staticmethod
    def xml(openid: str, kind: str, fields: dict[str, str]) -> str:
        nodes = "".join(
            f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items()
        )
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{escape(openid)}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[{kind}]]></MsgType>{nodes}</xml>"
        )

    def post(
        self, xml: str | bytes, params: dict | None = None, openid: str | None = None
    ) -> Answer:
        """POST a message as WeChat would (encrypted when the simulator has a key);
        WeChat also names the sender's `openid` in the URL."""
        query = params if params is not None else self.signed()
        if openid is not None and params is None:
            query = {**query, "openid": openid}
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        if self.crypto is not None and params is None:
            encrypted = self.crypto.encrypt_message(
                xml if isinstance(xml, str) else xml.decode("utf-8"),
                query["nonce"],
                query["timestamp"],
            )
            envelope = parse_message_envelope(encrypted)
            query = {**query, "encrypt_type": "aes", "msg_signature": envelope}
            body = encrypted.encode("utf-8")
        answer = self.session.post(
            self.url,
            params=query,
            data=body,
            headers={"Content-Type": "text/xml"},
            timeout=self.timeout,
        )
        return Answer(answer.status_code, answer.text, self._reply_text(answer, query))

    def _reply_text(self, answer: requests.Response, query: dict) -> str | None:
        if answer.status_code != 200 or not answer.text.startswith("<xml>"):
            return None
        xml = answer.text
        if self.crypto is not None and "<Encrypt>" in xml:
            import xmltodict

            envelope = xmltodict.parse(xml)["xml"]
            xml = self.crypto.decrypt_message(
                xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
            )
        return parse_message(xml).content


def parse_message_envelope(encrypted_xml: str) -> str:
    """The MsgSignature wechatpy put in an encrypted envelope (WeChat sends it as
    the msg_signature query parameter)."""
    import xmltodict

    return xmltodict.parse(encrypted_xml)["xml"]["MsgSignature"]
