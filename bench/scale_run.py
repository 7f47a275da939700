"""The scale benchmarks in one go: ten mailboxes at once (one ``mailroom serve`` on SQLite),
then two replicas on PostgreSQL behind a round-robin proxy, against one emulator.

``python -m bench --scale`` runs them after the other benchmarks (about three minutes more
on a shared 2-core machine, so the default run leaves them out and says so);
``--scale-only`` runs nothing else. The replica scenarios need a PostgreSQL server
(``--postgres-url``, else ``MAILROOM_BENCH_POSTGRES_URL`` or ``MAILROOM_TEST_POSTGRES_URL``);
without one their rows say they were not run. Each run gets a schema of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import targets
from bench.procs import start_emulator, start_mailroom
from bench.scale_mailboxes import MailboxConfig, mailbox_rows, measure_mailboxes, write_policy
from bench.scale_mailboxes import write_seed as write_scale_seed
from bench.scale_replicas import ReplicaConfig, measure_replicas, replica_rows
from bench.scale_targets import as_json, cores, from_json, not_run
from bench.targets import Target
from bench.tenant import bench_users
from emulator.testing import EmulatorControl

POSTGRES_ENV = ("MAILROOM_BENCH_POSTGRES_URL", "MAILROOM_TEST_POSTGRES_URL")
SECTION = "## Scale"


@dataclass(frozen=True)
class ScaleConfig:
    quick: bool = False
    mailboxes: MailboxConfig = field(default_factory=MailboxConfig)
    replicas: ReplicaConfig = field(default_factory=ReplicaConfig)


# About three minutes on a busy 2-core machine; --quick about a minute and a half.
FULL = ScaleConfig()
QUICK = ScaleConfig(
    quick=True,
    mailboxes=MailboxConfig(messages=15),
    replicas=ReplicaConfig(conversations=4, turns=8, messages=20),
)


def postgres_from_env() -> str | None:
    return next((os.environ[name] for name in POSTGRES_ENV if os.environ.get(name)), None)


def run_scale(config: ScaleConfig, workdir: Path, postgres_url: str | None) -> dict[str, Any]:
    from bench.runner import machine, preview_inputs  # noqa: PLC0415 - the heavy part

    started = time.perf_counter()
    workdir.mkdir(parents=True, exist_ok=True)
    boxes, reps = config.mailboxes, config.replicas
    users = bench_users(max(boxes.mailboxes, reps.conversations))
    seed = write_scale_seed(workdir / "scale-seed.toml", users, boxes.addresses)
    policy = write_policy(
        workdir / "scale-policy.toml",
        boxes.addresses,
        boxes.per_minute,
        noreply_per_minute=reps.per_minute,
    )
    results: dict[str, Any] = {"quick": config.quick, "machine": machine() | {"cores": cores()}}
    emulator, info = start_emulator(workdir / "scale-emulator", seed)
    # As the turn benchmarks: the load is far past Teams' per-conversation reply limits,
    # which are not what these scenarios measure.
    try:
        with closing(EmulatorControl(info.base_url, info.ca_path)) as control:
            control.set_connector_limits(enabled=False)
        print(f"scale: {boxes.mailboxes} mailboxes bulk-sending at once …", flush=True)
        database = workdir / "scale-mailboxes.db"
        bot = start_mailroom(info, policy, database, workdir / "scale-mailboxes.log")
        try:
            results["mailboxes"] = measure_mailboxes(
                bot, info, f"sqlite:///{database}", users, boxes
            )
        finally:
            bot.process.stop()
        rows = mailbox_rows(results["mailboxes"])
        if postgres_url:
            print("scale: two replicas on PostgreSQL behind a round-robin proxy …", flush=True)
            results["replicas"] = measure_replicas(
                info, policy, postgres_url, users, preview_inputs(), reps, workdir
            )
            rows += replica_rows(
                results["replicas"]["throughput"],
                results["replicas"]["shared_bulk"],
                results["machine"]["cores"],
            )
        else:
            results["replicas"], skipped = replicas_not_run()
            rows.append(skipped)
    finally:
        emulator.stop()
    results["rows"] = as_json(rows)
    results["machine"]["load_end"] = round(os.getloadavg()[0], 2)
    results["duration_s"] = round(time.perf_counter() - started, 1)
    return results


def replicas_not_run() -> tuple[dict[str, Any], Target]:
    """The replica scenarios' place in the results, and their row, without PostgreSQL."""
    row = not_run("two replicas (throughput, shared bulk send, recipients per day)", "–",
                  "no PostgreSQL: --postgres-url")  # fmt: skip
    return {"skipped": "no PostgreSQL URL (--postgres-url)"}, row


def rows_of(scale: dict[str, Any]) -> list[Target]:
    return from_json(scale["rows"])


# --- Markdown -----------------------------------------------------------------------


def markdown(scale: dict[str, Any], date: str) -> str:
    m = scale["machine"]
    kind = "quick run (`--quick`)" if scale["quick"] else "full run"
    out = [
        SECTION,
        "",
        f"Run {date}, {kind}, {scale['duration_s']:.0f} s. Machine: {m['cores']} cores "
        f"usable ({m['nproc']} CPUs, {m['cpu']}), load average (1 min) {m['load_start']} at "
        f"the start of the run and {m.get('load_end', '–')} at the end. The emulator, every "
        "bot process, the proxy and the load generator share these cores.",
        "",
        "### Scale targets",
        "",
        *targets.markdown(rows_of(scale)),
    ]
    out += _mailboxes(scale["mailboxes"])
    out += _replicas(scale["replicas"])
    return "\n".join(out) + "\n"


def _mailboxes(f: dict[str, Any]) -> list[str]:
    out = [
        "",
        f"### {f['mailboxes']} mailboxes bulk-sending at once",
        "",
        f"One `mailroom serve` (SQLite); {f['mailboxes']} no-reply mailboxes, each with its own "
        f"R = {f['rate_limit_per_minute']:g} messages/minute, {f['messages_per_mailbox']} "
        f"messages each, Graph latency {f['graph_latency_ms']} ms. {f['accepted_sends']} sends "
        f"accepted; while all {f['mailboxes']} were sending ({f['all_sending_window_s']} s) "
        f"together {f['aggregate_per_minute']} per minute; from the first send to the last "
        f"{f['first_to_last_per_minute']} per minute (the mailboxes' first sends were "
        f"{f['first_send_spread_s']} s apart). Send clicks to the last request closed: "
        f"{f['queued_to_done_s']} s; final states {f['final_states']}.",
        "",
        "| mailbox | accepted | steady rate per minute | rate / R | most in a rolling minute |",
        "|---|---:|---:|---:|---:|",
    ]
    for address, m in f["per_mailbox"].items():
        ratio = "–" if m["over_limit"] is None else f"×{m['over_limit']:.2f}"
        out.append(
            f"| {address} | {m['accepted']} | {m['per_minute']} | {ratio} "
            f"| {m['most_in_a_minute']} |"
        )
    return out


def _replicas(r: dict[str, Any]) -> list[str]:
    out = ["", "### Two replicas on one PostgreSQL database", ""]
    if "skipped" in r:
        return [*out, f"Not run: {r['skipped']}."]
    t, b = r["throughput"], r["shared_bulk"]
    one, two = t["one"], t["two"]
    out += [
        f"`compose.preview` turns from {t['conversations']} concurrent conversations through "
        "the round-robin proxy, to one replica and to two (halves run one, two, two, one).",
        "",
        "| | one replica | two replicas |",
        "|---|---:|---:|",
        f"| turns per second | {one['throughput_per_s']} | {two['throughput_per_s']} |",
        f"| p50 / p99 ms | {one['p50']} / {one['p99']} | {two['p50']} / {two['p99']} |",
        f"| replicas' CPU ms per turn | {one['cpu_ms_per_turn']} | {two['cpu_ms_per_turn']} |",
        "",
        f"One bulk send of {b['messages']} messages from noreply@ (R = "
        f"{b['rate_limit_per_minute']:g}/minute, `MAILROOM_RECIPIENTS_PER_DAY` = "
        f"{b['messages']}) with both replicas' workers sending: {b['accepted_sends']} accepted, "
        f"steady {b['achieved_per_minute']} per minute, at most {b['most_accepted_in_a_minute']}"
        f" in a rolling minute, final state {b['final_state']} after "
        f"{b['queued_to_done_s']} s; jobs seen leased per replica "
        f"{sorted(b['jobs_seen_per_replica'].values(), reverse=True)}; recipients counted in "
        f"the store {b['recipients_counted']}, delivered {b['recipients_delivered']}.",
    ]
    return out


def existing_section(docs: Path) -> str | None:
    """The ``## Scale`` section ``docs`` has now, to keep it when a run without the scale
    scenarios regenerates the file."""
    text = "\n" + (docs.read_text(encoding="utf-8") if docs.exists() else "")
    if f"\n{SECTION}\n" not in text:
        return None
    body = text.partition(f"\n{SECTION}\n")[2].partition("\n## ")[0]
    return f"{SECTION}\n{body.rstrip()}\n"


def insert_section(docs: Path, section: str) -> None:
    """Put ``section`` into ``docs`` in place of its ``## Scale`` section, or before its
    ``## Method`` (at the end when it has neither)."""
    text = docs.read_text(encoding="utf-8") if docs.exists() else ""
    if f"\n{SECTION}\n" in f"\n{text}":
        head, _, rest = f"\n{text}".partition(f"\n{SECTION}\n")
        tail = rest.partition("\n## ")
        text = head[1:] + "\n" + section + ("\n## " + tail[2] if tail[1] else "")
    elif "\n## Method\n" in text:
        head, _, rest = text.partition("\n## Method\n")
        text = head + "\n" + section + "\n## Method\n" + rest
    else:
        text = text + ("\n" if text else "") + section
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(text, encoding="utf-8")


def write_json(scale: dict[str, Any], date: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{date[:10]}-scale{'-quick' if scale['quick'] else ''}.json"
    payload = {"date": date, **scale}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
