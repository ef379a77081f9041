"""Fuzzing the consoles' server: malformed bodies, out-of-range and garbled query
parameters on every route, logged in as a clerk, a manager and head office. Not one
answer may be a 5xx; every 400 says what is wrong in Chinese; the server's log holds
no traceback (a bad request is one line, not a stack)."""

from __future__ import annotations

import random
import re

import requests

from tests.e2e.test_consoles_security import Console

CJK = re.compile(r"[\u4e00-\u9fff]")
GETS = (
    "/manager",
    "/manager/export.csv",
    "/manager/dashboard",
    "/manager/conversation",
    "/manager/charts/conversations.json",
    "/api/panel",
    "/api/handoffs",
    "/api/tasks",
    "/api/handoffs/99999999999999999999",
)
POSTS = (
    "/login",
    "/manager/flag",
    "/api/say",
    "/api/outcome",
    "/api/new-customer",
    "/api/tasks/99999999999999999999/done",
    "/api/tasks/1/skip",
    "/api/handoffs/1/reply",
    "/api/handoffs/99999999999999999999/close",
)
KEYS = ("start", "end", "store", "channel", "staff", "segment", "intent", "id")
VALUES = (
    "0001-01-01",
    "9999-12-31",
    "1999-12-31",
    "2026-02-30",
    "2026-13-01",
    "%ff%fe",
    "%00",
    "-1",
    "0",
    "99999999999999999999",
    "1e309",
    "'; DROP TABLE orders; --",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "顾客" * 200,
    "",
)
BODIES = (
    (b"garbage", "multipart/form-data"),
    (b"--x\r\ngarbage\r\n--x--", "multipart/form-data; boundary=x"),
    (
        b'--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n',
        "multipart/form-data; boundary=x",
    ),
    (b"\xff\xfe\xfd", "application/x-www-form-urlencoded"),
    (b"csrf=%ff&username=%00", "application/x-www-form-urlencoded"),
    (b"{", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'{"id": 99999999999999999999, "outcome": "bought"}', "application/json"),
    (b'{"message": null, "text": 5}', "application/json"),
    (b"\xff\xfe", "application/json"),
    (b"", "application/json"),
    (b"x" * 70_000, "text/plain"),
)


def garbled_query(rng: random.Random) -> str:
    pairs = [
        f"{rng.choice(KEYS)}={rng.choice(VALUES)}" for _ in range(rng.randint(1, 4))
    ]
    return "&".join(pairs)


def said(answer: requests.Response) -> str:
    """The message of an answer: a JSON answer's `error`, else its text."""
    if answer.headers.get("Content-Type", "").startswith("application/json"):
        return str(answer.json().get("error", ""))
    return answer.text


def test_no_malformed_request_gets_a_5xx_or_a_traceback(consoles, consoles_log):
    rng = random.Random(20261202)
    people = [Console(consoles, name) for name in ("s05c1", "s05m", "hq")]
    anonymous = requests.Session()
    anonymous.get(f"{consoles}/login")
    answers = []
    for _ in range(300):
        who = rng.choice(people)
        path = rng.choice(GETS)
        answer = who.get(f"{path}?{garbled_query(rng)}")
        answers.append(("GET", path, answer))
    for _ in range(200):
        who = rng.choice([*people, None])
        path = rng.choice(POSTS)
        body, kind = rng.choice(BODIES)
        http = who.http if who else anonymous
        headers = {"Content-Type": kind}
        if who:
            headers["X-CSRF-Token"] = who.csrf
        answer = http.post(
            f"{consoles}{path}?{garbled_query(rng)}",
            data=body,
            headers=headers,
            allow_redirects=False,
        )
        answers.append(("POST", path, answer))
    failed = [
        (m, p, a.status_code, a.text[:80])
        for m, p, a in answers
        if a.status_code >= 500
    ]
    assert failed == []
    unexplained = [
        (m, p, said(a)[:80])
        for m, p, a in answers
        if a.status_code == 400 and not CJK.search(said(a))
    ]
    assert unexplained == []
    assert sum(a.status_code == 400 for _, _, a in answers) > 50  # it did probe
    too_long = requests.get(f"{consoles}/manager?staff={'x' * 9000}")
    assert too_long.status_code in (400, 414)  # refused by the HTTP parser itself
    assert requests.get(f"{consoles}/health").status_code == 200
    assert "Traceback" not in consoles_log.read_text(encoding="utf-8", errors="replace")


def test_a_bad_filter_is_said_inline_and_head_office_picks_stores_by_name(consoles):
    head_office = Console(consoles, "hq")
    page = head_office.get("/manager?end=9999-12-31")
    assert page.status_code == 400
    error = re.search(r'id="filter-error">([^<]+)<', page.text)
    assert error and "日期应在" in error.group(1)
    assert '<form method="get" action="/manager"' in page.text  # the page, to retry
    picker = re.search(
        r'<select name="store" id="store-picker">(.*?)</select>', page.text, re.S
    )
    assert picker and "上海静安店" in picker.group(1)
    manager = Console(consoles, "s05m")
    assert 'id="store-picker"' not in manager.get("/manager").text  # her store only
