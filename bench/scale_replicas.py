"""Two ``mailroom serve`` replicas on one PostgreSQL database, behind a round-robin proxy.

Both replicas get the same settings (one ``MAILROOM_DATABASE_URL`` in a schema of its own
for the run, one ``MAILROOM_SIGNING_KEY``) and run their own outbox worker. Two proxies
(``bench/scale_proxy.py``) stand in for the load balancer: one in front of replica A alone,
one in front of A and B, so both measurements pay for the same hop.

* Interactive throughput: the turn benchmark's ``compose.preview`` scenario (N concurrent
  conversations, closed loops) through each proxy, in halves run one, two, two, one; turns
  per second of the timed phase, two replicas against one. Two replicas can only be faster
  when there are cores for them: with fewer than four (two replicas, the emulator and load
  generator, the proxy) the figure is printed and marked not measurable.
* One bulk send shared by both: Adele's clicks go through the two-replica proxy (so they
  alternate replicas), and both workers take its jobs from the shared outbox (the proxy is
  not involved there). The rate is held per mailbox across replicas by the pacing row in
  the store: the achieved rate against R, 429s, messages Exchange delayed for the rate,
  duplicates and lost (the emulator's deliveries). Which replica holds which job is read
  from the outbox's leases while the send runs.
* Recipients per day under load: ``MAILROOM_RECIPIENTS_PER_DAY`` is set to exactly the
  send's size, so a recipient counted twice would hold the last message back for a day;
  after the send, the recipients counted in the store for noreply@ must equal the
  recipients the emulator delivered.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from bench.bulk import (
    outcome,
    queue_bulk,
    recipients,
    sending_conditions,
    template_values,
    wait_final,
)
from bench.drive import LoadRun
from bench.procs import BotProcess, EmulatorInfo, start_mailroom
from bench.scale_proxy import start_proxy
from bench.scale_targets import (
    Target,
    at_least,
    cpu_permitting,
    deliveries,
    exactly,
    held_back,
    most_in_a_minute,
    rate_ratio,
    steady_per_minute,
    throttled,
)
from bench.stats import summary
from bench.tenant import NOREPLY, BenchUser
from bench.turns import make_plan
from bot.store import open_store
from emulator.testing import EmulatorControl

Json = dict[str, Any]
THROUGHPUT_TARGET = 1.7
RATE_TARGET = 0.95


@dataclass(frozen=True)
class ReplicaConfig:
    conversations: int = 10
    turns: int = 20  # timed previews per conversation and configuration (over two halves)
    warmup: int = 2
    messages: int = 60  # the shared bulk send
    per_minute: float = 120  # noreply@'s R
    latency_ms: tuple[float, float] = (50.0, 100.0)


def with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the server for the run (dropped afterwards): its database URL."""
    schema = f"mailroom_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield with_search_path(base_url, schema)
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def start_replicas(
    emulator: EmulatorInfo, policy: Path, database_url: str, workdir: Path, cfg: ReplicaConfig
) -> list[BotProcess]:
    """Replica A, then B (one after the other: A migrates the schema first)."""
    env = {
        "MAILROOM_DATABASE_URL": database_url,
        "MAILROOM_SIGNING_KEY": secrets.token_hex(32),
        "MAILROOM_RECIPIENTS_PER_DAY": str(cfg.messages),
    }
    started: list[BotProcess] = []
    try:
        for name in ("a", "b"):
            log = workdir / f"replica-{name}.log"
            started.append(start_mailroom(emulator, policy, workdir / "unused.db", log, env))
    except BaseException:
        for bot in started:
            bot.process.stop()
        raise
    return started


# --- interactive throughput -----------------------------------------------------------


def _half(
    proxy: BotProcess, backends: list[BotProcess], plan: dict[str, Any], workdir: Path
) -> tuple[int, float, float, list[float]]:
    """One timed run through ``proxy``: (turns, wall seconds, the backends' CPU seconds,
    samples)."""
    run = LoadRun.start(plan, workdir)
    ready = run.wait_ready()
    cpu_before = sum(b.process.cpu_seconds() for b in backends)
    if ready:
        run.go()
    result = run.result()
    cpu = sum(b.process.cpu_seconds() for b in backends) - cpu_before
    result.check(f"preview × {len(plan['users'])} through the proxy to {len(backends)}")
    return result.count, result.wall_s, cpu, result.all_samples()


def measure_throughput(
    one: BotProcess,
    two: BotProcess,
    replicas: list[BotProcess],
    emulator: EmulatorInfo,
    users: list[BenchUser],
    inputs: Json,
    cfg: ReplicaConfig,
    workdir: Path,
) -> dict[str, Any]:
    plans = {
        name: make_plan(
            proxy,
            emulator,
            "preview",
            users[: cfg.conversations],
            turns=max(1, cfg.turns // 2),
            warmup=cfg.warmup,
            preview_inputs=inputs,
            checked=True,
        )
        for name, proxy in (("one", one), ("two", two))
    }
    backends = {"one": replicas[:1], "two": replicas}
    proxies = {"one": one, "two": two}
    pooled: dict[str, list[tuple[int, float, float, list[float]]]] = {"one": [], "two": []}
    for name in ("one", "two", "two", "one"):
        pooled[name].append(_half(proxies[name], backends[name], plans[name], workdir))
    figures: dict[str, Any] = {"conversations": cfg.conversations}
    for name, halves in pooled.items():
        turns = sum(h[0] for h in halves)
        wall = sum(h[1] for h in halves)
        cpu = sum(h[2] for h in halves)
        figures[name] = {
            **summary([ms for h in halves for ms in h[3]]),
            "throughput_per_s": round(turns / wall, 1) if wall else None,
            "cpu_ms_per_turn": round(cpu * 1000 / turns, 2) if turns else None,
        }
    one_tp, two_tp = figures["one"]["throughput_per_s"], figures["two"]["throughput_per_s"]
    figures["two_over_one"] = round(two_tp / one_tp, 2) if one_tp and two_tp else None
    return figures


# --- the shared bulk send -------------------------------------------------------------


async def _watch_leases(database_url: str, mailbox: str, done: asyncio.Event) -> dict[str, int]:
    """Sample the outbox's leases on ``mailbox``'s jobs until ``done``: jobs seen per lease
    owner (each process's worker id)."""
    seen: dict[str, set[str]] = {}
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        while not done.is_set():
            cursor = await conn.execute(
                "SELECT id, lease_owner FROM outbox WHERE lease_owner IS NOT NULL"
                " AND lower(sender_address) = %s",
                (mailbox.lower(),),
            )
            for job_id, owner in await cursor.fetchall():
                seen.setdefault(str(owner), set()).add(str(job_id))
            with suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 0.1)
    return {owner: len(jobs) for owner, jobs in seen.items()}


async def _send_and_watch(
    proxy: BotProcess,
    emulator: EmulatorInfo,
    control: EmulatorControl,
    database_url: str,
    cfg: ReplicaConfig,
) -> tuple[str, dict[str, tuple[str, float]], dict[str, int], float]:
    done = asyncio.Event()
    watcher = asyncio.create_task(_watch_leases(database_url, NOREPLY, done))
    try:
        # Through the proxy: the clicks alternate replicas.
        request_id, _ = await queue_bulk(proxy, emulator, control, cfg.messages, template_values())
        queued = time.perf_counter()
        within = cfg.messages / cfg.per_minute * 60 * 3 + 60
        finals = await wait_final(database_url, [request_id], within)
    finally:
        done.set()
        owners = await watcher
    return request_id, finals, owners, queued


async def _counted(database_url: str) -> int:
    store = open_store(database_url)
    await store.connect()
    try:
        return sum(n for _, n in await store.recipients_counted(NOREPLY, datetime.now(UTC)))
    finally:
        await store.close()


def measure_shared_bulk(
    two: BotProcess, emulator: EmulatorInfo, database_url: str, cfg: ReplicaConfig
) -> dict[str, Any]:
    with sending_conditions(emulator, cfg.per_minute, cfg.latency_ms) as control:
        _, finals, owners, queued = asyncio.run(
            _send_and_watch(two, emulator, control, database_url, cfg)
        )
        record, log, delivered = outcome(control)
    [(state, done_at)] = finals.values()
    figures = shared_bulk_figures(cfg, record, log, delivered)
    figures |= {
        "final_state": state,
        "queued_to_done_s": round(done_at - queued, 1),
        "jobs_seen_per_replica": owners,
        "replicas_sending": len(owners),
        "recipients_counted": asyncio.run(_counted(database_url)),
    }
    return figures


def shared_bulk_figures(
    cfg: ReplicaConfig, record: list[Json], log: list[Json], delivered: list[Json]
) -> dict[str, Any]:
    mine = [e for e in record if e["mailbox"].lower() == NOREPLY]
    accepted = [datetime.fromisoformat(e["accepted_at"]) for e in mine]
    rate = steady_per_minute(accepted)
    return {
        "messages": cfg.messages,
        "rate_limit_per_minute": cfg.per_minute,
        "accepted_sends": len(accepted),
        "achieved_per_minute": None if rate is None else round(rate, 1),
        "achieved_over_limit": rate_ratio(rate, cfg.per_minute),
        "most_accepted_in_a_minute": most_in_a_minute(accepted),
        "throttled_429": throttled(log),
        "delayed_by_rate": held_back(mine),
        **deliveries(recipients(cfg.messages), delivered),
    }


def replica_rows(
    throughput: dict[str, Any], bulk: dict[str, Any], cores: int | None
) -> list[Target]:
    counted, delivered = bulk["recipients_counted"], bulk["recipients_delivered"]
    return [
        cpu_permitting(
            at_least(
                "two replicas: interactive throughput / one replica",
                throughput["two_over_one"],
                THROUGHPUT_TARGET,
            ),
            cores,
        ),
        exactly("two replicas, one bulk send: replicas that sent", bulk["replicas_sending"], 2),
        at_least("two replicas, one bulk send: rate / R", bulk["achieved_over_limit"], RATE_TARGET),
        exactly("two replicas, one bulk send: 429s", bulk["throttled_429"], 0),
        exactly(
            "two replicas, one bulk send: messages Exchange delayed for the rate",
            bulk["delayed_by_rate"],
            0,
        ),
        exactly("two replicas, one bulk send: duplicates", bulk["duplicates"], 0),
        exactly("two replicas, one bulk send: lost", bulk["lost"], 0),
        Target(
            "recipients per day: counted in the store / delivered (emulator)",
            f"{counted} / {delivered}",
            "equal",
            counted == delivered,
        ),
    ]


def measure_replicas(
    emulator: EmulatorInfo,
    policy: Path,
    postgres_url: str,
    users: list[BenchUser],
    inputs: Json,
    cfg: ReplicaConfig,
    workdir: Path,
) -> dict[str, Any]:
    with postgres_schema(postgres_url) as database_url:
        replicas = start_replicas(emulator, policy, database_url, workdir, cfg)
        proxies: list[BotProcess] = []
        try:
            proxies.append(start_proxy(replicas[:1], workdir / "proxy-one.log"))
            proxies.append(start_proxy(replicas, workdir / "proxy-two.log"))
            one, two = proxies
            print("  interactive throughput, one replica and two …", flush=True)
            throughput = measure_throughput(
                one, two, replicas, emulator, users, inputs, cfg, workdir
            )
            print("  one bulk send across both replicas …", flush=True)
            bulk = measure_shared_bulk(two, emulator, database_url, cfg)
        finally:
            for process in [*proxies, *replicas]:
                process.process.stop()
    return {"throughput": throughput, "shared_bulk": bulk}
