"""Fuzzing the WeChat channel of the running server: malformed XML, entity
expansion, huge bodies, bad encodings, mutated messages, odd query strings and
replayed MsgIds. No answer may be a 5xx and the server must keep answering."""

from __future__ import annotations

import random
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import create_engine, func, select

from bot.db import tables as t

OPENID = "oFuzz000000001"
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><xml><ToUserName>gh</ToUserName><FromUserName>oFuzz000000001</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content>"
    "<MsgId>1</MsgId></xml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>gh</ToUserName><FromUserName>oFuzz000000001</FromUserName>"
    "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&e;</Content>"
    "<MsgId>2</MsgId></xml>"
)


def message(**fields: str) -> str:
    base = {
        "ToUserName": "gh_salesbot",
        "FromUserName": OPENID,
        "CreateTime": str(int(time.time())),
        "MsgType": "text",
        "Content": "你好",
        "MsgId": str(random.randint(1, 10**15)),
    }
    base.update(fields)
    nodes = "".join(f"<{k}>{v}</{k}>" for k, v in base.items() if v is not None)
    return f"<xml>{nodes}</xml>"


MALFORMED: list[bytes | str] = [
    "",
    "<xml>",
    "<xml><a></xml>",
    "not xml at all",
    "<?xml version='1.0'?>",
    "<xml></xml>",
    "<root><MsgType>text</MsgType></root>",
    message(FromUserName=None),
    message(MsgType=None),
    message(ToUserName=None),
    message(Content="<b>nested</b>"),
    message(FromUserName="<id>o1</id>"),
    message(MsgType="<t>text</t>"),
    message(FromUserName="../../etc/passwd"),
    message(FromUserName="o" * 500),
    message(MsgId="1; DROP TABLE customers"),
    message(MsgId="<x/>"),
    message(CreateTime="yesterday"),
    message(Content="/restart"),
    message(Content='/lookup_customer{"phone": "13800000000"}'),
    message(Content=""),
    message(Content="  "),
    message(Content="\u202e\u0000"),
    message(Content="x" * 60_000),
    message(MsgType="event", Event="<e>subscribe</e>"),
    message(MsgType="event", Event="CLICK", EventKey="menu"),
    message(MsgType="event"),
    message(MsgType="unknownkind"),
    message(MsgType="location", Location_X="1", Location_Y="2"),
    BILLION_LAUGHS,
    XXE,
    "<xml>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
    b"\xff\xfe<\x00x\x00m\x00l\x00>\x00",
    message().encode("utf-16"),
    message(Content="caf\xe9").encode("latin-1"),
    b"<xml><Content>\xc3\x28</Content></xml>",
    b"\x00" * 1000,
    "A" * 1_000_000,
    b"<xml>" + b"<Content>" + b"\xe4\xbd" * 40_000 + b"</Content></xml>",
]


@pytest.fixture(scope="module")
def chat(bot):
    return bot.wechat()


def post(chat, body, params=None) -> int:
    data = body.encode("utf-8") if isinstance(body, str) else body
    answer = chat.session.post(
        chat.url, params=params or chat.signed(), data=data, timeout=30
    )
    return answer.status_code


@pytest.mark.parametrize("body", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_bodies_never_cause_a_server_error(chat, body):
    assert post(chat, body) < 500


def test_mutated_messages_never_cause_a_server_error(chat):
    rnd = random.Random(2026)
    valid = message().encode("utf-8")
    statuses = []
    for _ in range(150):
        raw = bytearray(valid)
        for _ in range(rnd.randint(1, 8)):
            raw[rnd.randrange(len(raw))] = rnd.randrange(256)
        statuses.append(post(chat, bytes(raw)))
    for _ in range(50):
        statuses.append(post(chat, rnd.randbytes(rnd.randint(1, 4000))))
    assert max(statuses) < 500, statuses


def test_encrypted_garbage_never_causes_a_server_error(bot):
    chat = bot.wechat(encrypted=True)
    for body, extra in (
        ("<xml><Encrypt>not base64!</Encrypt></xml>", {"msg_signature": "0" * 40}),
        ("<xml><Encrypt>QUJD</Encrypt></xml>", {}),
        ("<xml><NoEncrypt/></xml>", {"msg_signature": "0" * 40}),
        ("garbage", {"msg_signature": "0" * 40}),
    ):
        params = {**chat.signed(), "encrypt_type": "aes", **extra}
        assert post(chat, body, params) < 500
    query = chat.signed()
    envelope = chat.crypto.encrypt_message("<xml>bad inside</xml>", query["nonce"])
    import xmltodict

    signature = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    timestamp = xmltodict.parse(envelope)["xml"]["TimeStamp"]
    params = {
        **query,
        "timestamp": timestamp,
        "encrypt_type": "aes",
        "msg_signature": signature,
    }
    params = {**params, **_signed_at(chat, timestamp, query["nonce"])}
    assert post(chat, envelope, params) == 400


def _signed_at(chat, timestamp: str, nonce: str) -> dict:
    from wechatpy.utils import WeChatSigner

    signer = WeChatSigner()
    signer.add_data(chat.token, timestamp, nonce)
    return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce}


@pytest.mark.parametrize(
    "params",
    [
        {"signature": "x", "timestamp": "-1", "nonce": "n"},
        {"signature": "x", "timestamp": "9" * 60, "nonce": "n"},
        {"signature": "x", "timestamp": "abc", "nonce": "n"},
        {"signature": "\u4e2d" * 50, "timestamp": "1", "nonce": "\x00"},
        {"timestamp": str(int(time.time()))},
    ],
)
def test_odd_query_strings_are_refused_not_crashed(chat, params):
    assert post(chat, message(), params) == 403


def test_replayed_message_ids_are_processed_once(bot, chat):
    msg_id = str(random.randint(10**15, 10**16))
    body = message(Content="有什么新品", MsgId=msg_id)
    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: post(chat, body), range(5)))
    statuses += [post(chat, body) for _ in range(3)]
    assert set(statuses) == {200}
    engine = create_engine(bot.database_url, future=True)
    with engine.connect() as conn:
        seen = conn.execute(
            select(func.count()).where(t.inbound_messages.c.message_key == msg_id)
        ).scalar_one()
    assert seen == 1


def test_the_server_still_answers_after_the_fuzzing(bot, chat):
    assert requests.get(f"{bot.base_url}/webhooks/wechat/", timeout=10).ok
    assert chat.text(OPENID, "有什么新品").reply.startswith("最近到的新品")


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE])
def test_xml_declarations_are_refused_before_parsing(chat, body):
    answer = chat.session.post(chat.url, params=chat.signed(), data=body.encode())
    assert answer.status_code == 400
    assert "DOCTYPE" in answer.text


def test_bodies_over_64_kib_are_refused(chat):
    body = message(Content="好" * 30_000).encode("utf-8")
    answer = chat.session.post(chat.url, params=chat.signed(), data=body)
    assert answer.status_code == 400
    assert "too large" in answer.text
