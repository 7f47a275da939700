"""Bulk pacing efficiency, and responsiveness while the bulk send runs.

The bulk send goes the way a user makes one: in Adele's chat with ``mailroom serve``, pick
noreply@, the outage-notice template, a preview with a 300-row CSV (one personalised
message per row) and Send. The real outbox worker in the bot process then sends it
through the emulator, whose message rate is R per minute (the policy tells Mailroom the
same R) and whose Graph answers take 50–150 ms. Figures:

* achieved rate / R, where the achieved rate is the steady rate of accepted sends:
  (accepted − 1) / (last accepted − first accepted), from the emulator's request log;
* 429s the emulator answered during the run (Mailroom's own doing: nothing else sends
  from that mailbox), duplicates and lost messages (every recipient exactly once, from
  the emulator's deliveries);
* whether pacing held Exchange's rate, from the emulator's transport record: Exchange does
  not refuse a message over the rate, it accepts it and delays its delivery — so the proof
  is that no message was delayed, and the most accepted in any rolling minute.

Responsiveness: a load generator clicks through ``send.pick_sender`` → ``compose.preview``
in a few conversations (with a think time) while the bulk send runs, and the same for a
while before it (idle baseline); p99 of those answers and the ratio.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.drive import LoadRun
from bench.loadgen import PICK_SENDER, PREVIEW, SEND, Plan, activity, find_action, invoke
from bench.procs import BotProcess, EmulatorInfo
from bench.stats import ratio, summary
from bench.tenant import BULK_REQUESTER, NOREPLY, BenchUser, demo_user
from bot.outbox.config import WorkerConfig
from bot.rendering import TemplateCatalog
from bot.store import open_store
from emulator.testing import EmulatorControl

PICK_TEMPLATE = "compose.template"
TEMPLATE = "outage-notice"
Json = dict[str, Any]


@dataclass(frozen=True)
class BulkConfig:
    messages: int
    per_minute: float
    latency_ms: tuple[float, float] = (50.0, 100.0)  # fixed + uniform jitter: 50–150 ms
    idle_seconds: float = 10.0  # the responsiveness baseline's length
    clickers: int = 4
    think_time: float = 0.25


def recipients(count: int, prefix: str = "c") -> list[str]:
    """The bulk send's recipients: ``{prefix}N@fabrikam.com`` (external, one per row)."""
    return [f"{prefix}{n}@fabrikam.com" for n in range(count)]


def bulk_csv(count: int, prefix: str = "c") -> str:
    rows = ["email,affected"]
    rows += [f"{address},Customer {n} and their team"
             for n, address in enumerate(recipients(count, prefix))]  # fmt: skip
    return "\n".join(rows)


def plan_base(bot: BotProcess, emulator: EmulatorInfo) -> Plan:
    return Plan(
        url=f"{bot.url}/api/messages",
        service_url=emulator.base_url,
        tenant_id=emulator.tenant_id,
        scenario="flow",
        users=[],
    )


class Clicker:
    """One user's clicks in their chat, from the orchestrating process."""

    def __init__(self, http: httpx.AsyncClient, plan: Plan, user: BenchUser) -> None:
        self.http = http
        self.plan = plan
        self.user = user.as_json()
        self.card_id = ""

    async def say(self, text: str, control: EmulatorControl) -> None:
        body = activity(self.plan, self.user, type="message", text=text, textFormat="plain")
        answer = await self.http.post(self.plan.url, json=body)
        answer.raise_for_status()
        replies = control.connector_activities(f"a:personal-{self.user['oid']}")
        self.card_id = str(replies[-1]["id"])

    async def act(self, verb: str, data: Json) -> Json:
        answer = await self.http.post(
            self.plan.url, json=invoke(self.plan, self.user, verb, data, self.card_id)
        )
        answer.raise_for_status()
        body: Json = answer.json()
        if body.get("statusCode") != 200 or not isinstance(body.get("value"), dict):
            raise RuntimeError(f"{verb} answered {str(body)[:300]}")
        card: Json = body["value"]
        return card


def _data(card: Json, verb: str) -> Json:
    found = find_action(card, verb)
    if found is None:
        raise RuntimeError(f"no {verb} in the card: {str(card)[:400]}")
    return dict(found.get("data") or {})


def template_values() -> Json:
    catalog = TemplateCatalog.load(Path(__file__).resolve().parents[1] / "templates")
    return {f"var_{k}": str(v) for k, v in catalog.get(TEMPLATE).sample_values().items()}


async def prepare_bulk(
    clicker: Clicker, control: EmulatorControl, sender: str, csv: str, values: Json
) -> tuple[Json, float]:
    """``/send``, the sender, the template and a preview of ``csv`` in the clicker's chat:
    (the Send button's data, preview seconds). Nothing is sent yet."""
    await clicker.say("/send", control)
    compose = await clicker.act(PICK_SENDER, {"sender": sender})
    compose = await clicker.act(
        PICK_TEMPLATE, _data(compose, PICK_TEMPLATE) | {"template": TEMPLATE}
    )
    inputs = values | {"bulk_csv": csv, "importance": "normal"}
    started = time.perf_counter()
    preview = await clicker.act(PREVIEW, _data(compose, PREVIEW) | inputs)
    return _data(preview, SEND), time.perf_counter() - started


async def queue_bulk(
    bot: BotProcess, emulator: EmulatorInfo, control: EmulatorControl, count: int, values: Json
) -> tuple[str, float]:
    """Make and send the bulk request through the cards; (request id, preview seconds)."""
    async with httpx.AsyncClient(timeout=120) as http:
        adele = Clicker(http, plan_base(bot, emulator), demo_user(BULK_REQUESTER))
        send, preview_s = await prepare_bulk(adele, control, NOREPLY, bulk_csv(count), values)
        await adele.act(SEND, send)
    return str(send["request"]), preview_s


async def wait_final(database_url: str, request_ids: list[str], within: float
                     ) -> dict[str, tuple[str, float]]:  # fmt: skip
    """Each request's state once it is final (or ``within`` seconds passed), with the
    ``perf_counter`` time it was seen final."""
    store = open_store(database_url)
    await store.connect()
    seen: dict[str, tuple[str, float]] = {}
    try:
        deadline = time.perf_counter() + within
        while True:
            for request_id in request_ids:
                if request_id not in seen:
                    request = await store.get_request(request_id)
                    if request.is_final or time.perf_counter() > deadline:
                        seen[request_id] = (request.state.value, time.perf_counter())
            if len(seen) == len(request_ids):
                return seen
            await asyncio.sleep(0.25)
    finally:
        await store.close()


async def _wait_final(database: Path, request_id: str, within: float) -> tuple[str, float]:
    return (await wait_final(f"sqlite:///{database}", [request_id], within))[request_id]


def _clicks(bot: BotProcess, emulator: EmulatorInfo, users: list[BenchUser], cfg: BulkConfig,
            inputs: Json, workdir: Path) -> LoadRun:  # fmt: skip
    plan = plan_base(bot, emulator)
    plan.users = [u.as_json() for u in users[: cfg.clickers]]
    plan.think_time = cfg.think_time
    plan.preview_inputs = inputs
    run = LoadRun.start(asdict(plan), workdir)
    if not run.wait_ready():
        run.result().check("responsiveness warm-up")
    return run


@contextmanager
def sending_conditions(
    emulator: EmulatorInfo, per_minute: float, latency_ms: tuple[float, float]
) -> Iterator[EmulatorControl]:
    """The emulator at message rate ``per_minute`` with ``latency_ms`` on every Graph answer
    and an empty request log; the latency is taken off again afterwards."""
    control = EmulatorControl(emulator.base_url, emulator.ca_path, timeout=60)
    try:
        control.set_message_rate(per_minute)
        control.set_latency(*latency_ms, path_pattern="/v1.0/*")
        control.clear_log()
        yield control
    finally:
        control.set_latency(0, 0, path_pattern="/v1.0/*")
        control.close()


def outcome(control: EmulatorControl) -> tuple[list[Json], list[Json], list[Json]]:
    """After the sends: the transport record, the request log and the external deliveries,
    once transport is done (and a moment for a late duplicate to show)."""
    time.sleep(1.0)  # a duplicate would be a late extra send: give it a moment
    record: list[Json] = control.transport(wait=30)["record"]
    return record, control.request_log(), control.external_deliveries()


def measure_bulk(
    bot: BotProcess,
    emulator: EmulatorInfo,
    database: Path,
    users: list[BenchUser],
    preview_inputs: Json,
    cfg: BulkConfig,
    workdir: Path,
) -> dict[str, Any]:
    control = EmulatorControl(emulator.base_url, emulator.ca_path, timeout=60)
    try:
        control.set_message_rate(cfg.per_minute)
        control.set_latency(*cfg.latency_ms, path_pattern="/v1.0/*")

        idle = _clicks(bot, emulator, users, cfg, preview_inputs, workdir)
        idle.go()
        time.sleep(cfg.idle_seconds)
        idle.stop()
        baseline = idle.result()
        baseline.check("responsiveness baseline")

        control.clear_log()
        busy = _clicks(bot, emulator, users, cfg, preview_inputs, workdir)
        request_id, preview_s = asyncio.run(
            queue_bulk(bot, emulator, control, cfg.messages, template_values())
        )
        queued_at = time.perf_counter()
        busy.go()
        expected = cfg.messages / cfg.per_minute * 60
        state, done_at = asyncio.run(_wait_final(database, request_id, expected * 2 + 60))
        busy.stop()
        under_load = busy.result()
        under_load.check("responsiveness under load")
        time.sleep(1.0)  # a duplicate would be a late extra send: give it a moment
        record = control.transport(wait=30)["record"]
        log = control.request_log()
        deliveries = control.external_deliveries()
    finally:
        control.set_latency(0, 0, path_pattern="/v1.0/*")
        control.close()
    return {
        "bulk_pacing": {
            **_pacing(cfg, state, done_at - queued_at, preview_s, log, deliveries),
            **_held_rate(record),
        },
        "responsiveness": _responsiveness(baseline.all_samples(), under_load.all_samples(),
                                          under_load.samples_ms),
    }  # fmt: skip


def _pacing(
    cfg: BulkConfig,
    state: str,
    elapsed_s: float,
    preview_s: float,
    log: list[Json],
    deliveries: list[Json],
) -> dict[str, Any]:
    sends = [
        e
        for e in log
        if e["method"] == "POST" and e["path"].lower().endswith(("/sendmail", "/send"))
    ]
    accepted = sorted(datetime.fromisoformat(e["time"]) for e in sends if e["status"] == 202)
    throttled = [e for e in log if e["path"].startswith("/v1.0/") and e["status"] == 429]
    steady = None
    gaps = [(b - a).total_seconds() * 1000 for a, b in itertools.pairwise(accepted)]
    if gaps and sum(gaps) > 0:
        steady = len(gaps) / sum(gaps) * 60_000
    own_target = cfg.per_minute * WorkerConfig().rate_safety
    expected = Counter(recipients(cfg.messages))
    got = Counter(d["recipient"] for d in deliveries)
    return {
        "messages": cfg.messages,
        "rate_limit_per_minute": cfg.per_minute,
        "graph_latency_ms": f"{cfg.latency_ms[0]:g}–{sum(cfg.latency_ms):g}",
        "final_state": state,
        "accepted_sends": len(accepted),
        "achieved_per_minute": round(steady, 1) if steady else None,
        "achieved_over_limit": ratio(steady, cfg.per_minute, 3),
        "mailroom_target_per_minute": round(own_target, 1),
        "achieved_over_mailroom_target": ratio(steady, own_target, 3),
        "pacing_interval_ms": round(60_000 / own_target, 1),
        "gap_ms": summary(gaps),
        **_lost_time(gaps, 60_000 / own_target),
        "queued_to_done_s": round(elapsed_s, 1),
        "end_to_end_per_minute": round(len(accepted) / elapsed_s * 60, 1) if elapsed_s else None,
        "bulk_preview_s": round(preview_s, 2),
        "throttled_429": len(throttled),
        "duplicates": sum(n - 1 for n in got.values() if n > 1),
        "lost": sum(1 for address in expected if got[address] == 0),
        "unexpected_recipients": sum(1 for address in got if address not in expected),
    }


def _held_rate(record: list[Json]) -> dict[str, Any]:
    """From Exchange's side: messages it held back for the rate, and the most it accepted
    in any rolling minute."""
    accepted = sorted(datetime.fromisoformat(r["accepted_at"]) for r in record)
    most, start = 0, 0
    for end, at in enumerate(accepted):
        while (at - accepted[start]).total_seconds() >= 60:
            start += 1
        most = max(most, end - start + 1)
    held = [r for r in record if r["delivered_at"] is None or r["delayed_seconds"] > 0]
    return {"delayed_by_rate": len(held), "most_accepted_in_a_minute": most}


def _lost_time(gaps: list[float], interval_ms: float) -> dict[str, Any]:
    """Time beyond the pacing interval, split into stalls (gaps over twice the interval)
    and lateness (the rest)."""
    stalls = [g for g in gaps if g > 2 * interval_ms]
    late = [g for g in gaps if g <= 2 * interval_ms]
    return {
        "stalls": len(stalls),
        "stall_lost_s": round(sum(g - interval_ms for g in stalls) / 1000, 1),
        "late_lost_s": round(sum(max(0.0, g - interval_ms) for g in late) / 1000, 1),
    }


def _responsiveness(
    idle: list[float], busy: list[float], by_verb: dict[str, list[float]]
) -> dict[str, Any]:
    idle_s, busy_s = summary(idle), summary(busy)
    return {
        "idle": idle_s,
        "during_bulk": busy_s,
        "during_bulk_by_verb": {verb: summary(samples) for verb, samples in by_verb.items()},
        "p99_ratio": ratio(busy_s["p99"], idle_s["p99"]),
        "p50_ratio": ratio(busy_s["p50"], idle_s["p50"]),
    }
