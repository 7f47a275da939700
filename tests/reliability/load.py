"""Load on a real ``mailroom serve`` process: many conversations at once, each a person
typing commands and clicking card buttons, with a little think time between steps.

An error is any HTTP answer but 202 (message) or 200 (card action), an invoke body that is
not a card, or a transport failure. The Agents SDK answers 202 only after the turn ran —
the reply already posted to the (emulated) Bot Connector — so replies are counted at the
end, per conversation, from the emulator's connector log.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from emulator.testing import RunningEmulator
from tests.support.serve_process import ServeProcess

# What each person does, in turn: the cheap commands and the ones that ask Graph and
# Exchange (cached after the first), and card actions answered in the HTTP response.
STEPS: tuple[tuple[str, str], ...] = (
    ("message", "/help"),
    ("message", "/senders"),
    ("invoke", "send.start"),
    ("message", "/templates"),
    ("invoke", "help.show"),
    ("message", "/history"),
)


@dataclass
class LoadResult:
    conversations: int
    seconds: float
    activities: int = 0
    messages: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rss_kb: list[tuple[float, int]] = field(default_factory=list)
    replies_missing: int = 0

    def figures(self) -> dict[str, Any]:
        rss = [kb for _, kb in self.rss_kb]
        ordered = sorted(self.latencies_ms) or [0.0]
        return {
            "conversations": self.conversations,
            "seconds": round(self.seconds, 1),
            "activities": self.activities,
            "per_second": round(self.activities / self.seconds, 1) if self.seconds else 0,
            "errors": len(self.errors),
            "replies_missing": self.replies_missing,
            "latency_p50_ms": round(statistics.median(ordered), 1),
            "latency_p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 1),
            "rss_after_warmup_mb": round(rss[0] / 1024, 1) if rss else None,
            "rss_end_mb": round(rss[-1] / 1024, 1) if rss else None,
            "rss_max_mb": round(max(rss) / 1024, 1) if rss else None,
            "rss_mb_by_quarter": [round(kb / 1024, 1) for kb in self.rss_quarters()],
        }

    def rss_quarters(self) -> list[int]:
        """RSS at the end of each quarter of the run (after the warm-up)."""
        rss = [kb for _, kb in self.rss_kb]
        if not rss:
            return []
        return [rss[min(len(rss) - 1, round(q * (len(rss) - 1) / 4))] for q in range(1, 5)]


def _activity(emulator: RunningEmulator, who: Any, conversation: str, kind: str,
              what: str) -> dict[str, Any]:  # fmt: skip
    activity: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-11-26T10:00:00.000Z",
        "serviceUrl": emulator.base_url,
        "channelId": "msteams",
        "from": {"id": f"29:{who.id}", "name": who.display_name, "aadObjectId": who.id},
        "conversation": {"id": conversation, "conversationType": "personal",
                         "tenantId": emulator.tenant_id},
        "recipient": {"id": "28:mailroom", "name": "Mailroom"},
        "channelData": {"tenant": {"id": emulator.tenant_id}},
        "locale": "en-GB",
    }  # fmt: skip
    if kind == "message":
        activity.update(type="message", text=what, textFormat="plain")
    else:
        activity.update(
            type="invoke",
            name="adaptiveCard/action",
            replyToId=f"card-{uuid.uuid4().hex[:8]}",
            value={"action": {"type": "Action.Execute", "verb": what, "data": {}},
                   "trigger": "manual"},
        )  # fmt: skip
    return activity


async def run_load(
    serve: ServeProcess,
    emulator: RunningEmulator,
    *,
    conversations: int,
    seconds: float,
    think: tuple[float, float] = (0.05, 0.4),
    warmup: float = 1.0,
) -> LoadResult:
    people = [a for a in emulator.tenant.accounts if a.kind == "member" and a.has_mailbox]
    result = LoadResult(conversations, seconds)
    sent_messages: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=conversations, max_keepalive_connections=conversations)

    async with httpx.AsyncClient(timeout=30, limits=limits) as http:

        async def person(index: int) -> None:
            who = people[index % len(people)]
            conversation = f"a:load-{index}-{uuid.uuid4().hex[:6]}"
            sent_messages[conversation] = 0
            step = index % len(STEPS)
            await asyncio.sleep(rng.uniform(0, think[1]))
            while time.monotonic() < deadline:
                kind, what = STEPS[step % len(STEPS)]
                step += 1
                started = time.perf_counter()
                try:
                    response = await http.post(
                        f"{serve.url}/api/messages", json=_activity(emulator, who, conversation,
                                                                   kind, what)
                    )  # fmt: skip
                except httpx.HTTPError as error:
                    result.errors.append(f"{kind} {what}: {type(error).__name__}")
                    continue
                result.latencies_ms.append((time.perf_counter() - started) * 1000)
                result.activities += 1
                if kind == "message":
                    if response.status_code != 202:
                        result.errors.append(f"{what}: HTTP {response.status_code}")
                    else:
                        sent_messages[conversation] += 1
                        result.messages += 1
                elif response.status_code != 200 or response.json().get("statusCode") != 200:
                    result.errors.append(f"{what}: {response.status_code} {response.text[:80]}")
                await asyncio.sleep(rng.uniform(*think))

        async def sample_memory() -> None:
            await asyncio.sleep(min(warmup, seconds / 4))
            while time.monotonic() < deadline:
                result.rss_kb.append((time.monotonic(), serve.rss_kb()))
                await asyncio.sleep(max(0.5, seconds / 40))
            result.rss_kb.append((time.monotonic(), serve.rss_kb()))

        began = time.monotonic()
        await asyncio.gather(sample_memory(), *(person(i) for i in range(conversations)))
        result.seconds = time.monotonic() - began

    replies: dict[str, int] = {}
    for record in emulator.control.connector_activities():
        cid = str(record.get("conversation_id", ""))
        if cid in sent_messages:
            replies[cid] = replies.get(cid, 0) + 1
    result.replies_missing = sum(
        max(0, sent - replies.get(cid, 0)) for cid, sent in sent_messages.items()
    )
    return result


def full_load() -> bool:
    return os.environ.get("MAILROOM_TEST_LOAD", "").lower() == "full"
