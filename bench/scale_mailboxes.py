"""Ten sender mailboxes bulk-sending at once from one ``mailroom serve``.

Exchange's message rate is per mailbox, so ten mailboxes may together send ten times what
one may. Each of ten users (``bench-user-000`` …) makes a bulk send from their own no-reply
mailbox (``bulk-00@contoso.com`` …, each with the emulator's rate R per minute, and the
policy telling Mailroom the same R) through the cards; all ten previews are made first and
the ten Send clicks go out together. The outbox worker then has ten mailboxes' jobs at once
(at most ``max_in_flight`` in flight across them, 4 per mailbox).

Figures, from the emulator's transport record (one entry per message Graph accepted):

* the aggregate rate while all ten are sending: the accepted sends of every mailbox
  between the latest mailbox's first send and the earliest mailbox's last, (n − 1) over
  that window, against 10 R (the ten Send clicks cannot land in the same millisecond, and
  a staggered start or tail would be the clicks' timing, not Mailroom's pacing); the rate
  from the first send to the last is reported beside it;
* each mailbox's steady rate against R (the table names the slowest);
* 429s Graph answered during the run, messages Exchange held back for the rate, duplicates
  and lost recipients (every recipient of every send exactly once).
"""

from __future__ import annotations

import asyncio
import time
import tomllib
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.bulk import (
    SEND,
    Clicker,
    outcome,
    plan_base,
    prepare_bulk,
    recipients,
    sending_conditions,
    template_values,
    wait_final,
)
from bench.bulk import bulk_csv as make_csv
from bench.procs import BotProcess, EmulatorInfo
from bench.scale_targets import (
    Target,
    at_least,
    deliveries,
    exactly,
    held_back,
    most_in_a_minute,
    overlap_per_minute,
    rate_ratio,
    spread_s,
    steady_per_minute,
    throttled,
)
from bench.tenant import EXAMPLE_POLICY, NOREPLY, OPS_NOTIFIERS, BenchUser, dump_toml
from bench.tenant import write_policy as write_bench_policy
from bench.tenant import write_seed as write_bench_seed
from emulator.testing import EmulatorControl

Json = dict[str, Any]
AGGREGATE_TARGET = 0.95
EACH_TARGET = 0.9
_NAMESPACE = uuid.UUID("0b9c8f3e-54c1-4f3e-9d55-2f0f5b6f1a10")


@dataclass(frozen=True)
class MailboxConfig:
    mailboxes: int = 10
    messages: int = 40  # per mailbox
    per_minute: float = 120  # R, each mailbox's own
    latency_ms: tuple[float, float] = (50.0, 100.0)  # as the bulk benchmark: 50–150 ms

    @property
    def addresses(self) -> list[str]:
        return [f"bulk-{n:02d}@contoso.com" for n in range(self.mailboxes)]

    def prefix(self, index: int) -> str:
        """Recipient prefix of mailbox ``index``'s send: every send has its own recipients."""
        return f"m{index}-c"


def write_seed(path: Path, users: list[BenchUser], mailboxes: list[str]) -> Path:
    """The bench seed plus ``mailboxes`` as no-reply mailboxes the app may send from."""
    write_bench_seed(path, users)
    raw: Json = tomllib.loads(path.read_text(encoding="utf-8"))
    for address in mailboxes:
        raw["mailboxes"].append(
            {
                "id": str(uuid.uuid5(_NAMESPACE, address)),
                "address": address,
                "display_name": f"Contoso bulk ({address.split('@')[0]})",
                "kind": "noreply",
                "custom_attributes": {"15": "mailroom-app-sender"},
            }
        )
    path.write_text(dump_toml(raw), encoding="utf-8")
    return path


def write_policy(
    path: Path, mailboxes: list[str], per_minute: float, *, noreply_per_minute: float
) -> Path:
    """The bench policy (noreply@ at ``noreply_per_minute``) plus a no-reply sender per
    mailbox, like noreply@ but without its approval rule, each at ``per_minute``."""
    write_bench_policy(path, noreply_per_minute=noreply_per_minute)
    raw: Json = tomllib.loads(path.read_text(encoding="utf-8"))
    example = tomllib.loads(EXAMPLE_POLICY.read_text(encoding="utf-8"))
    template = next(s for s in example["senders"] if s["address"] == NOREPLY)
    for address in mailboxes:
        sender = {k: v for k, v in template.items() if k != "approval"}
        sender |= {
            "address": address,
            "display_name": f"Contoso bulk ({address})",
            "allowed_groups": [OPS_NOTIFIERS],
            "rate": {"per_minute": int(per_minute)},
        }
        raw["senders"].append(sender)
    path.write_text(dump_toml(raw), encoding="utf-8")
    return path


async def _queue_all(
    bot: BotProcess,
    emulator: EmulatorInfo,
    control: EmulatorControl,
    users: list[BenchUser],
    cfg: MailboxConfig,
) -> list[str]:
    """Every preview first, then every Send click at once: the request ids."""
    values = template_values()
    async with httpx.AsyncClient(timeout=120) as http:
        clickers = [Clicker(http, plan_base(bot, emulator), u) for u in users[: cfg.mailboxes]]
        prepared = await asyncio.gather(
            *(
                prepare_bulk(c, control, address, make_csv(cfg.messages, cfg.prefix(n)), values)
                for n, (c, address) in enumerate(zip(clickers, cfg.addresses, strict=True))
            )
        )
        await asyncio.gather(
            *(c.act(SEND, send) for c, (send, _) in zip(clickers, prepared, strict=True))
        )
    return [str(send["request"]) for send, _ in prepared]


def measure_mailboxes(
    bot: BotProcess,
    emulator: EmulatorInfo,
    database_url: str,
    users: list[BenchUser],
    cfg: MailboxConfig,
) -> dict[str, Any]:
    with sending_conditions(emulator, cfg.per_minute, cfg.latency_ms) as control:
        started = time.perf_counter()
        request_ids = asyncio.run(_queue_all(bot, emulator, control, users, cfg))
        expected_s = cfg.messages / cfg.per_minute * 60
        finals = asyncio.run(wait_final(database_url, request_ids, expected_s * 3 + 60))
        record, log, delivered = outcome(control)
    figures = mailbox_figures(cfg, record, log, delivered)
    figures["final_states"] = dict(Counter(state for state, _ in finals.values()))
    figures["queued_to_done_s"] = round(max(at for _, at in finals.values()) - started, 1)
    return figures


def mailbox_figures(
    cfg: MailboxConfig, record: list[Json], log: list[Json], delivered: list[Json]
) -> dict[str, Any]:
    """The scenario's figures from the emulator's transport record, request log and
    external deliveries."""
    wanted = {a.lower() for a in cfg.addresses}
    accepted: dict[str, list[datetime]] = {a.lower(): [] for a in cfg.addresses}
    for entry in record:
        if entry["mailbox"].lower() in wanted:
            accepted[entry["mailbox"].lower()].append(datetime.fromisoformat(entry["accepted_at"]))
    every = [at for times in accepted.values() for at in times]
    whole = steady_per_minute(every)
    aggregate, window_s = overlap_per_minute(accepted.values())
    per_mailbox = {
        address: {
            "accepted": len(times),
            "per_minute": None if (r := steady_per_minute(times)) is None else round(r, 1),
            "over_limit": rate_ratio(steady_per_minute(times), cfg.per_minute),
            "most_in_a_minute": most_in_a_minute(times),
        }
        for address, times in accepted.items()
    }
    expected = [a for n in range(cfg.mailboxes) for a in recipients(cfg.messages, cfg.prefix(n))]
    mine = [e for e in record if e["mailbox"].lower() in wanted]
    return {
        "mailboxes": cfg.mailboxes,
        "messages_per_mailbox": cfg.messages,
        "rate_limit_per_minute": cfg.per_minute,
        "graph_latency_ms": f"{cfg.latency_ms[0]:g}–{sum(cfg.latency_ms):g}",
        "accepted_sends": len(every),
        "aggregate_per_minute": None if aggregate is None else round(aggregate, 1),
        "aggregate_over_limits": rate_ratio(aggregate, cfg.per_minute * cfg.mailboxes),
        "all_sending_window_s": round(window_s, 1),
        "first_to_last_per_minute": None if whole is None else round(whole, 1),
        "first_send_spread_s": round(spread_s(min(t) for t in accepted.values() if t), 2),
        "per_mailbox": per_mailbox,
        "throttled_429": throttled(log),
        "delayed_by_rate": held_back(mine),
        **deliveries(expected, delivered),
    }


def mailbox_rows(figures: dict[str, Any]) -> list[Target]:
    n = figures["mailboxes"]
    ratios = {a: m["over_limit"] for a, m in figures["per_mailbox"].items()}
    slowest = min(ratios, key=lambda a: ratios[a] or 0.0) if ratios else None
    return [
        at_least(
            f"{n} mailboxes at once: aggregate rate while all send / {n} R",
            figures["aggregate_over_limits"],
            AGGREGATE_TARGET,
        ),
        at_least(
            f"{n} mailboxes at once: slowest mailbox's rate / R ({slowest})",
            ratios.get(slowest) if slowest else None,
            EACH_TARGET,
        ),
        exactly(f"{n} mailboxes at once: 429s", figures["throttled_429"], 0),
        exactly(
            f"{n} mailboxes at once: messages Exchange delayed for the rate",
            figures["delayed_by_rate"],
            0,
        ),
        exactly(f"{n} mailboxes at once: duplicates", figures["duplicates"], 0),
        exactly(f"{n} mailboxes at once: lost", figures["lost"], 0),
    ]
