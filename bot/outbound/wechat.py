"""WeChat's Official Account API through wechatpy, with the shared access token.

Customer-service messages, template messages and subscribe notices; refusals come
back as `Refused` with WeChat's errcode and our reason code, so the dispatcher can
pick another route. `api_base` is WeChat's by default; a relay proxy (or a test
server) can stand in.
"""

from __future__ import annotations

import logging

import requests

from bot.outbound.wechat_token import refresh_token

logger = logging.getLogger(__name__)
WECHAT_API = "https://api.weixin.qq.com/cgi-bin/"
# WeChat errcode -> our reason code; anything else is retried later.
REFUSALS = {
    40003: "bad_openid",
    40037: "template_refused",
    43004: "not_following",
    43101: "not_subscribed",
    45015: "window_closed",
    45047: "window_used",
    47003: "template_refused",
    48001: "api_unauthorized",
}


class DeliveryError(RuntimeError):
    """The message did not go out; retrying later may help."""


class Refused(DeliveryError):
    """WeChat refused the message for a reason retrying cannot fix."""

    permanent = True

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat {errcode}: {errmsg}")
        self.errcode = errcode
        self.reason = REFUSALS.get(errcode, "refused")


def wechat_client(appid: str, secret: str, session, api_base: str = WECHAT_API):
    """A wechatpy client whose calls go to `api_base` and whose token is the one
    shared through `session` (see wechat_token)."""
    from wechatpy import WeChatClient

    base = api_base if api_base.endswith("/") else api_base + "/"

    class Client(WeChatClient):
        API_BASE_URL = base

        @property
        def access_token(self):
            return refresh_token(self.session, self.access_token_key, self._stable)

        def fetch_access_token(self):
            """wechatpy calls this when WeChat refused the token (40001/42001)."""
            stale = self.session.get(self.access_token_key)
            token = refresh_token(
                self.session, self.access_token_key, self._stable, rejected=stale
            )
            return {"access_token": token}

        def _stable(self) -> dict:
            answer = self._http.post(
                f"{base}stable_token",
                json={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                    "force_refresh": False,
                },
                timeout=10,
            )
            answer.raise_for_status()
            result = answer.json()
            if result.get("errcode"):
                raise DeliveryError(
                    f"no access token: WeChat {result['errcode']}: "
                    f"{result.get('errmsg')}"
                )
            return result

    return Client(appid, secret, session=session)


class WeChatOutbound:
    """Sends through one client; every method raises Refused or DeliveryError."""

    def __init__(self, client) -> None:
        self._client = client

    def send_text(self, openid: str, text: str) -> None:
        self._call(self._client.message.send_text, openid, text)

    def send_template(self, openid: str, template_id: str, data: dict) -> None:
        self._call(self._client.message.send_template, openid, template_id, data)

    def send_subscribe(self, openid: str, template_id: str, data: dict) -> None:
        self._call(
            self._client.message.send_subscribe_message, openid, template_id, data
        )

    def close(self) -> None:
        self._client._http.close()

    @staticmethod
    def _call(method, *args) -> None:
        from wechatpy.exceptions import WeChatClientException

        try:
            method(*args)
        except WeChatClientException as error:
            if error.errcode in REFUSALS:
                raise Refused(error.errcode, error.errmsg) from None
            raise DeliveryError(f"WeChat {error.errcode}: {error.errmsg}") from None
        except (OSError, requests.RequestException, TimeoutError) as error:
            raise DeliveryError(f"WeChat unreachable: {error}") from None
