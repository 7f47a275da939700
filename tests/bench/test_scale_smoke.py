"""The scale scenarios still run: each once with tiny sizes against real processes (the
emulator, ``mailroom serve`` on SQLite, two replicas on PostgreSQL, the proxy).

No rate is asserted (speed is what the benchmark reports); the counts are: every recipient
exactly once, no 429, the store's recipient count equal to the deliveries, a row for every
target with its verdict.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench.scale_mailboxes import MailboxConfig, mailbox_rows
from bench.scale_replicas import ReplicaConfig
from bench.scale_run import ScaleConfig, markdown, replicas_not_run, rows_of, run_scale
from bench.scale_targets import as_json
from tests.support.postgres import postgres_base_url

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.timeout(300),
]

TINY = ScaleConfig(
    quick=True,
    mailboxes=MailboxConfig(mailboxes=3, messages=4),
    replicas=ReplicaConfig(conversations=2, turns=2, warmup=1, messages=8),
)


@pytest.fixture(scope="module")
def scale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    url = postgres_base_url()
    return run_scale(TINY, tmp_path_factory.mktemp("scale"), url)


def test_ten_mailboxes_scenario_sends_every_message_once_without_429s(
    scale: dict[str, Any],
) -> None:
    boxes = scale["mailboxes"]
    assert boxes["final_states"] == {"sent": 3}
    assert boxes["accepted_sends"] == 12
    assert {m["accepted"] for m in boxes["per_mailbox"].values()} == {4}
    assert (boxes["duplicates"], boxes["lost"], boxes["throttled_429"]) == (0, 0, 0)
    assert boxes["delayed_by_rate"] == 0
    # Rates are there (at these sizes the sends are mostly each mailbox's burst, so the
    # window in which all three send may be empty: its rate is then None, not 0).
    assert boxes["first_to_last_per_minute"] > 0
    assert all(m["over_limit"] > 0 for m in boxes["per_mailbox"].values())


def test_replica_throughput_is_measured_through_the_proxy_for_one_and_two(
    scale: dict[str, Any],
) -> None:
    throughput = scale["replicas"]["throughput"]
    for name in ("one", "two"):
        assert throughput[name]["n"] == 2 * 2  # conversations × timed turns, both halves
        assert throughput[name]["throughput_per_s"] > 0
    assert throughput["two_over_one"] > 0


def test_the_shared_bulk_send_counts_each_recipient_once_in_the_store(
    scale: dict[str, Any],
) -> None:
    bulk = scale["replicas"]["shared_bulk"]
    assert bulk["final_state"] == "sent"
    assert bulk["accepted_sends"] == 8
    assert (bulk["duplicates"], bulk["lost"], bulk["throttled_429"]) == (0, 0, 0)
    assert bulk["recipients_counted"] == bulk["recipients_delivered"] == 8
    assert bulk["replicas_sending"] >= 1


def test_every_target_has_a_row_and_the_section_prints_them(scale: dict[str, Any]) -> None:
    rows = rows_of(scale)
    names = [r.name for r in rows]
    assert len(names) == 14
    assert scale["machine"]["cores"] >= 1
    counts = [r for r in rows if r.threshold == "= 0" or r.threshold == "equal"]
    assert all(r.met for r in counts), [r for r in counts if not r.met]
    [throughput] = [r for r in rows if "interactive throughput" in r.name]
    assert (throughput.met is None) == (scale["machine"]["cores"] < 4)
    section = markdown(scale, "2026-12-02T00:00:00+00:00")
    assert section.startswith("## Scale\n")
    for name in names:
        assert name in section


def test_without_postgres_the_replica_rows_say_they_were_not_run(scale: dict[str, Any]) -> None:
    skipped, row = replicas_not_run()
    alone = scale | {"replicas": skipped,
                     "rows": as_json([*mailbox_rows(scale["mailboxes"]), row])}  # fmt: skip
    assert row.met is None
    assert "PostgreSQL" in row.verdict
    section = markdown(alone, "2026-12-02T00:00:00+00:00")
    assert "Not run: no PostgreSQL" in section
    assert "not measurable (no PostgreSQL: --postgres-url)" in section
