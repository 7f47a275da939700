"""The load generator: a separate process that talks to a bot the way Teams does.

``python -m bench.loadgen PLAN.json RESULT.json``

The plan names the bot's ``/api/messages`` URL, the scenario and one user per concurrent
conversation. Each conversation is a closed loop (the next activity is sent when the last
one was answered, after ``think_time``) over its own keep-alive connection, as the Bot
Service's would be. A turn is timed from just before the request is written to the end of
the response body:

* ``senders``: a ``/senders`` message. The bot answers 202 only after it posted its reply
  card to the Bot Connector, so the time covers the reply.
* ``preview``: an ``Action.Execute`` ``compose.preview`` on a compose draft made beforehand
  (``send.pick_sender``, untimed): every preview consumes its draft.
* ``flow``: ``send.pick_sender`` then ``compose.preview``, both timed, until told to stop
  (the responsiveness run, while a bulk send goes on).

Every conversation first does ``warmup`` untimed turns (caches, connections), then all
start the timed phase together. With ``wait_for_go`` the process prints ``ready`` after the
warm-up and starts the timed phase when a line arrives on stdin; a second line stops it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

Json = dict[str, Any]
PICK_SENDER = "send.pick_sender"
PREVIEW = "compose.preview"
SEND = "preview.send"


@dataclass
class Plan:
    url: str
    service_url: str
    tenant_id: str
    scenario: str
    users: list[Json]
    warmup: int = 1
    turns: int = 10
    think_time: float = 0.0
    sender: str = "support@contoso.com"
    preview_inputs: Json = field(default_factory=dict)
    checked: bool = True  # a Mailroom answer is checked (e.g. a preview card came back)
    wait_for_go: bool = False

    @classmethod
    def load(cls, path: Path) -> Plan:
        raw: Json = json.loads(path.read_text(encoding="utf-8"))
        return cls(**raw)


@dataclass
class Result:
    samples: dict[str, list[float]] = field(default_factory=dict)  # verb/kind → ms
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    wall_s: float = 0.0

    def add(self, kind: str, ms: float) -> None:
        self.samples.setdefault(kind, []).append(ms)

    def fail(self, problem: str) -> None:
        self.errors += 1
        if len(self.error_examples) < 5:
            self.error_examples.append(problem[:300])


def activity(plan: Plan, user: Json, **fields: Any) -> Json:
    """A Teams activity from ``user`` in their personal chat with the bot."""
    body: Json = {
        "id": str(uuid.uuid4()),
        "timestamp": "2026-11-26T10:00:00.000Z",
        "serviceUrl": plan.service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{user['oid']}", "name": user["name"], "aadObjectId": user["oid"]},
        "conversation": {
            "id": f"a:personal-{user['oid']}",
            "conversationType": "personal",
            "tenantId": plan.tenant_id,
        },
        "recipient": {"id": "28:mailroom", "name": "Mailroom"},
        "channelData": {"tenant": {"id": plan.tenant_id}},
        "locale": "en-GB",
    }
    body.update(fields)
    return body


def invoke(plan: Plan, user: Json, verb: str, data: Json, reply_to: str) -> Json:
    return activity(
        plan,
        user,
        type="invoke",
        name="adaptiveCard/action",
        replyToId=reply_to,
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
               "trigger": "manual"},
    )  # fmt: skip


def find_action(node: Any, verb: str) -> Json | None:
    """The first ``Action.Execute`` with ``verb`` anywhere in a card."""
    if isinstance(node, dict):
        if node.get("type") == "Action.Execute" and node.get("verb") == verb:
            return node
        children: Sequence[Any] = list(node.values())
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = find_action(child, verb)
        if found is not None:
            return found
    return None


class Conversation:
    def __init__(self, plan: Plan, user: Json, session: aiohttp.ClientSession) -> None:
        self.plan = plan
        self.user = user
        self.session = session
        self.card_id = f"card-{uuid.uuid4().hex[:12]}"
        self.drafts: list[Json] = []

    async def post(self, body: Json) -> tuple[int, bytes]:
        async with self.session.post(self.plan.url, data=json.dumps(body)) as response:
            return response.status, await response.read()

    async def timed(self, body: Json) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        status, payload = await self.post(body)
        return (time.perf_counter() - started) * 1000, status, payload

    # --- one step of each kind; each returns (ms, problem or None) ----------------------

    async def senders(self) -> tuple[float, str | None]:
        body = activity(self.plan, self.user, type="message", text="/senders", textFormat="plain")
        ms, status, payload = await self.timed(body)
        return ms, None if status == 202 else f"message answered {status}: {payload[:200]!r}"

    async def pick_sender(self) -> tuple[float, str | None]:
        body = invoke(self.plan, self.user, PICK_SENDER, {"sender": self.plan.sender}, self.card_id)
        ms, status, payload = await self.timed(body)
        card, problem = _card(status, payload)
        if card is None:
            return ms, problem
        preview = find_action(card, PREVIEW)
        if preview is not None:
            self.drafts.append(dict(preview.get("data") or {}))
        elif self.plan.checked:
            return ms, "pick_sender did not answer with a compose card"
        else:  # the echo bot: same payload shape, no state behind it
            self.drafts.append({"draft": uuid.uuid4().hex, "version": "1"})
        return ms, None

    async def preview(self) -> tuple[float, str | None]:
        if not self.drafts:
            return 0.0, "no compose draft left"
        data = {**self.drafts.pop(0), **self.plan.preview_inputs}
        body = invoke(self.plan, self.user, PREVIEW, data, self.card_id)
        ms, status, payload = await self.timed(body)
        card, problem = _card(status, payload)
        if card is None:
            return ms, problem
        if self.plan.checked and find_action(card, SEND) is None:
            return ms, "preview did not answer with a preview card"
        return ms, None


def _card(status: int, payload: bytes) -> tuple[Json | None, str | None]:
    if status != 200:
        return None, f"invoke answered HTTP {status}: {payload[:200]!r}"
    body = json.loads(payload)
    if body.get("statusCode") != 200:
        return None, f"invoke answered {str(body)[:200]}"
    value = body.get("value")
    return (value, None) if isinstance(value, dict) else (None, "invoke answered no card")


async def _step(conv: Conversation, kind: str, result: Result) -> None:
    steps = {"senders": conv.senders, PICK_SENDER: conv.pick_sender, PREVIEW: conv.preview}
    ms, problem = await steps[kind]()
    if problem is None:
        result.add(kind, ms)
    else:
        result.fail(problem)
    if conv.plan.think_time:
        await asyncio.sleep(conv.plan.think_time)


async def run(plan: Plan) -> Result:
    result = Result()
    warm = Result()  # untimed, but a failing warm-up makes the run meaningless
    connector = aiohttp.TCPConnector(limit=0, force_close=False)
    headers = {"Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, timeout=timeout
    ) as session:
        convs = [Conversation(plan, user, session) for user in plan.users]

        async def prepare(conv: Conversation) -> None:
            if plan.scenario == "senders":
                for _ in range(plan.warmup):
                    await _step(conv, "senders", warm)
            elif plan.scenario == "preview":
                for _ in range(plan.warmup + plan.turns):
                    await _step(conv, PICK_SENDER, warm)
                for _ in range(plan.warmup):
                    await _step(conv, PREVIEW, warm)
            else:
                for _ in range(plan.warmup):
                    await _step(conv, PICK_SENDER, warm)
                    await _step(conv, PREVIEW, warm)

        await asyncio.gather(*(prepare(c) for c in convs))
        if warm.errors:
            result.errors = warm.errors
            result.error_examples = ["warm-up: " + e for e in warm.error_examples]
            return result
        stop = asyncio.Event()
        stopper: asyncio.Task[None] | None = None
        if plan.wait_for_go:
            print("ready", flush=True)
            await _read_line()
            if plan.scenario == "flow":
                stopper = asyncio.create_task(_stop_on_line(stop))
        elif plan.scenario == "flow":
            raise ValueError("the flow scenario runs until told to stop: set wait_for_go")

        async def timed(conv: Conversation) -> None:
            if plan.scenario == "flow":
                while not stop.is_set():
                    await _step(conv, PICK_SENDER, result)
                    await _step(conv, PREVIEW, result)
                return
            kind = "senders" if plan.scenario == "senders" else PREVIEW
            for _ in range(plan.turns):
                await _step(conv, kind, result)

        started = time.perf_counter()
        await asyncio.gather(*(timed(c) for c in convs))
        result.wall_s = time.perf_counter() - started
        if stopper is not None:
            await stopper
    return result


async def _read_line() -> str:
    return await asyncio.to_thread(sys.stdin.readline)


async def _stop_on_line(stop: asyncio.Event) -> None:
    await _read_line()
    stop.set()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m bench.loadgen PLAN.json RESULT.json", file=sys.stderr)
        return 2
    plan = Plan.load(Path(args[0]))
    result = asyncio.run(run(plan))
    out = {
        "samples_ms": result.samples,
        "errors": result.errors,
        "error_examples": result.error_examples,
        "wall_s": result.wall_s,
    }
    Path(args[1]).write_text(json.dumps(out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
