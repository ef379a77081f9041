"""Clerks chatting with the bot, turn after turn, every turn's outcome on record.

Each clerk is one conversation (a REST sender) that looks a customer up, asks her
segment, asks for recommendations and starts again with another customer (in the
same conversation, or in a new one as the tablet's 下一位顾客 does), waiting a think
time (exponential) between turns. A turn's outcome is:

- `ok`: HTTP 200 and a reply that is not the service-error apology;
- `polite`: HTTP 200 and the apology (`say_service_error`): the clerk is told to try
  again; the turn did not get its answer, but the clerk knows it;
- `lost`: anything else (an error status, no connection, a timeout, or an empty
  reply): the clerk sees nothing, or an error page.

The load, soak and fault benchmarks (bench/cluster_load.py) and their short version
in `make test` all read these records.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

import aiohttp
import yaml

from bot.config import PROJECT_ROOT

SCRIPT = ("查{phone}", "她是什么类型的客户", "给她推荐点东西")


@lru_cache(maxsize=1)
def apologies() -> frozenset[str]:
    """Every variant of the service-error reply, from the domain."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return frozenset(v["text"] for v in domain["responses"]["say_service_error"])


def outcome(status: int, replies: list | None) -> str:
    if status != 200 or not replies:
        return "lost"
    texts = {r.get("text") for r in replies if isinstance(r, dict)}
    return "polite" if texts & apologies() else "ok"


@dataclass(frozen=True)
class Turn:
    sender: str
    message: str
    sent: float  # seconds since the run started
    ms: float
    outcome: str
    status: int = 0  # HTTP status; 0 when no answer came (refused, cut, timed out)

    @property
    def done(self) -> float:
        return self.sent + self.ms / 1000


@dataclass
class Chatter:
    """`users` clerks chatting at `url` (Rasa's REST webhook)."""

    url: str
    phones: list[str]
    users: int
    think: float
    seed: int = 7
    timeout: float = 60.0
    # a new conversation for every customer, as the tablet's 下一位顾客 starts one;
    # else one conversation per clerk for the whole run
    per_customer: bool = False
    turns: list[Turn] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def now(self) -> float:
        return time.monotonic() - self.started

    async def run(self, seconds: float) -> list[Turn]:
        """Chat for `seconds` (turns under way at the end are finished)."""
        rng = random.Random(self.seed)
        deadline = self.now() + seconds
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as web:
            await asyncio.gather(
                *(
                    self._clerk(web, f"clerk-{uuid.uuid4().hex[:12]}", rng, deadline)
                    for _ in range(self.users)
                )
            )
        return self.turns

    async def _clerk(self, web, sender: str, rng: random.Random, deadline: float):
        step = 0
        await asyncio.sleep(rng.uniform(0, self.think))
        while self.now() < deadline:
            if self.per_customer and step and step % len(SCRIPT) == 0:
                sender = f"clerk-{uuid.uuid4().hex[:12]}"
            message = SCRIPT[step % len(SCRIPT)].format(phone=rng.choice(self.phones))
            await self._turn(web, sender, message)
            step += 1
            if self.think:
                await asyncio.sleep(rng.expovariate(1 / self.think))

    async def _turn(self, web, sender: str, message: str) -> None:
        sent = self.now()
        status, replies = 0, None
        try:
            async with web.post(
                self.url, json={"sender": sender, "message": message}
            ) as answer:
                status = answer.status
                replies = await answer.json() if status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            pass
        ms = (self.now() - sent) * 1000
        found = outcome(status, replies)
        self.turns.append(Turn(sender, message, sent, ms, found, status))


def senders(turns: list[Turn]) -> dict[str, list[str]]:
    """Each conversation's messages in the order sent."""
    found: dict[str, list[str]] = {}
    for turn in sorted(turns, key=lambda t: t.sent):
        found.setdefault(turn.sender, []).append(turn.message)
    return found


def is_subsequence(stored: list[str], sent: list[str]) -> bool:
    """`stored` is `sent` with some messages left out, nothing added or reordered."""
    rest = iter(sent)
    return all(any(message == s for s in rest) for message in stored)
