"""The scale benchmarks' arithmetic, verdicts, report insertion and round-robin proxy."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict

from bench.cli import add_arguments, scale_config_from
from bench.scale_mailboxes import MailboxConfig, mailbox_figures, mailbox_rows
from bench.scale_proxy import RoundRobin, forwardable, make_app
from bench.scale_run import QUICK, existing_section, insert_section
from bench.scale_targets import (
    as_json,
    at_least,
    cpu_permitting,
    deliveries,
    exactly,
    from_json,
    held_back,
    most_in_a_minute,
    overlap_per_minute,
    steady_per_minute,
    throttled,
)
from bench.targets import markdown
from tests.support.servers import free_port

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# --- rates ----------------------------------------------------------------------------


def test_steady_rate_is_events_after_the_first_over_the_time_they_took() -> None:
    # 11 events, one every 0.5 s: 10 intervals in 5 s = 2 per second = 120 per minute.
    assert steady_per_minute([at(n * 0.5) for n in range(11)]) == pytest.approx(120.0)
    assert steady_per_minute([at(5), at(0), at(2.5)]) == pytest.approx(24.0)  # order-free


def test_steady_rate_needs_two_events_apart() -> None:
    assert steady_per_minute([]) is None
    assert steady_per_minute([at(1)]) is None
    assert steady_per_minute([at(1), at(1)]) is None


def test_the_overlap_rate_counts_only_while_every_run_is_going() -> None:
    early = [at(n) for n in range(10)]  # 0 … 9 s, one a second
    late = [at(5 + n) for n in range(10)]  # 5 … 14 s
    rate, window = overlap_per_minute([early, late])
    # From 5 s to 9 s both run: 5 + 5 events, 9 intervals in 4 s.
    assert window == pytest.approx(4.0)
    assert rate == pytest.approx(9 / 4 * 60)
    assert overlap_per_minute([early, []]) == (None, 0.0)
    assert overlap_per_minute([[at(0)], [at(1)]])[0] is None  # never both at once


def test_most_in_a_rolling_minute_counts_a_window_of_sixty_seconds() -> None:
    times = [at(0), at(30), at(59.9), at(60), at(61), at(200)]
    # [0, 59.9] holds 3; [30, 61] holds 4 (30, 59.9, 60, 61); 60 s after 0 is outside.
    assert most_in_a_minute(times) == 4
    assert most_in_a_minute([]) == 0


# --- verdicts -------------------------------------------------------------------------


def test_at_least_is_met_at_the_threshold_and_not_below_or_missing() -> None:
    assert at_least("r", 0.95, 0.95).met is True
    assert at_least("r", 0.949, 0.95).met is False
    missing = at_least("r", None, 0.95)
    assert (missing.met, missing.figure) == (False, "–")
    assert at_least("r", 1.234, 0.9).figure == "×1.23"


def test_exactly_is_met_only_at_the_expected_count() -> None:
    assert exactly("429s", 0, 0).met is True
    assert exactly("429s", 1, 0).met is False
    assert exactly("429s", None, 0).met is False


def test_a_throughput_target_is_not_judged_on_too_few_cores() -> None:
    measured = at_least("two / one", 0.8, 1.7)
    on_two = cpu_permitting(measured, 2)
    assert on_two.met is None
    assert on_two.figure == "×0.80"  # still printed
    assert on_two.verdict == "not measurable (on 2 cores; needs 4)"
    assert cpu_permitting(measured, 4).met is False
    assert cpu_permitting(at_least("two / one", 1.8, 1.7), 8).met is True


def test_rows_print_as_a_targets_table_and_survive_json() -> None:
    rows = [exactly("lost", 0, 0), exactly("429s", 2, 0), cpu_permitting(at_least("x", 1, 2), 1)]
    table = markdown(rows)
    assert table[0] == "| target | threshold | figure | met |"
    assert table[2] == "| lost | = 0 | 0 | met |"
    assert table[3] == "| 429s | = 0 | 2 | **not met** |"
    assert "not measurable" in table[4]
    assert from_json(as_json(rows)) == rows


# --- what the emulator recorded ----------------------------------------------------------


def _record(mailbox: str, seconds: float, delayed: float = 0.0) -> dict[str, object]:
    return {"mailbox": mailbox, "accepted_at": at(seconds).isoformat(),
            "delivered_at": at(seconds).isoformat(), "delayed_seconds": delayed}  # fmt: skip


def test_throttled_counts_graph_429s_only() -> None:
    log = [
        {"path": "/v1.0/users/a/messages", "status": 429},
        {"path": "/v1.0/users/a/messages", "status": 201},
        {"path": "/v3/conversations/x/activities", "status": 429},  # Bot Connector, not Graph
    ]
    assert throttled(log) == 1


def test_held_back_counts_messages_delayed_or_never_delivered() -> None:
    record = [_record("a", 0), _record("a", 1, delayed=3.0),
              {**_record("a", 2), "delivered_at": None}]  # fmt: skip
    assert held_back(record) == 2


def test_deliveries_find_duplicates_and_lost_among_the_expected() -> None:
    delivered = [{"recipient": r} for r in ("a@x", "b@x", "b@x", "stranger@x")]
    assert deliveries(["a@x", "b@x", "c@x"], delivered) == {
        "recipients_delivered": 3,
        "duplicates": 1,
        "lost": 1,
    }


def test_mailbox_figures_rate_each_mailbox_and_all_together() -> None:
    cfg = MailboxConfig(mailboxes=2, messages=3, per_minute=60)
    boxes = cfg.addresses
    # Each mailbox: 3 sends 1 s apart (60/min = ×1 of R); together 6 sends in 2.5 s.
    record = [_record(boxes[0], s) for s in (0, 1, 2)]
    record += [_record(boxes[1].upper(), s) for s in (0.5, 1.5, 2.5)]
    record.append(_record("noreply@contoso.com", 1.0))  # another scenario's mailbox
    delivered = [{"recipient": f"m{m}-c{n}@fabrikam.com"} for m in (0, 1) for n in range(3)]
    figures = mailbox_figures(cfg, record, [], delivered[:-1])
    assert figures["accepted_sends"] == 6
    # While both send (0.5 s to 2 s): 4 sends, 3 intervals in 1.5 s = 120 per minute.
    assert figures["aggregate_per_minute"] == pytest.approx(120.0)
    assert figures["all_sending_window_s"] == pytest.approx(1.5)
    assert figures["aggregate_over_limits"] == pytest.approx(1.0)
    assert figures["first_to_last_per_minute"] == pytest.approx(120.0)  # 5 in 2.5 s
    assert figures["per_mailbox"][boxes[0]]["over_limit"] == pytest.approx(1.0)
    assert figures["first_send_spread_s"] == pytest.approx(0.5)
    assert (figures["duplicates"], figures["lost"]) == (0, 1)
    rows = {r.name.split(": ", 1)[1]: r for r in mailbox_rows(figures)}
    assert rows["aggregate rate while all send / 2 R"].met is True
    assert rows["lost"].met is False


# --- the report ---------------------------------------------------------------------------


def test_the_scale_section_goes_before_the_method_and_replaces_itself(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n## Results\n\nfigures\n\n## Method\n\nhow\n")
    insert_section(docs, "## Scale\n\nfirst\n\n### Scale targets\n\nrows\n")
    insert_section(docs, "## Scale\n\nsecond\n")
    text = docs.read_text()
    assert text.count("## Scale") == 1
    assert "first" not in text
    assert "rows" not in text
    assert text.index("## Results") < text.index("second") < text.index("## Method")
    assert text.endswith("## Method\n\nhow\n")


def test_a_run_without_the_scale_scenarios_keeps_the_scale_section(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("## Results\n\nx\n\n## Scale\n\nkept\n\n### Scale targets\n\nrows\n\n"
                    "## Method\n\nhow\n")  # fmt: skip
    assert existing_section(docs) == "## Scale\n\nkept\n\n### Scale targets\n\nrows\n"
    assert existing_section(tmp_path / "missing.md") is None


def test_scale_messages_resizes_both_bulk_sends() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = scale_config_from(parser.parse_args(["--quick", "--scale-messages", "7"]))
    assert config.quick
    assert config.mailboxes.messages == 7
    assert config.replicas.messages == 7
    assert config.replicas.conversations == QUICK.replicas.conversations


# --- the proxy ---------------------------------------------------------------------------


def test_round_robin_takes_the_backends_in_turn() -> None:
    ring = RoundRobin(["http://a/", "http://b"])
    assert [ring.next() for _ in range(5)] == ["http://a", "http://b", "http://a",
                                               "http://b", "http://a"]  # fmt: skip
    with pytest.raises(ValueError, match="at least one backend"):
        RoundRobin([])


def test_forwardable_drops_hop_by_hop_headers_and_keeps_repeats() -> None:
    headers = CIMultiDict([("Connection", "keep-alive"), ("Host", "x"), ("X-A", "1"),
                           ("X-A", "2"), ("Content-Type", "application/json")])  # fmt: skip
    kept = forwardable(headers)
    assert kept.getall("X-A") == ["1", "2"]
    assert "Connection" not in kept
    assert "Host" not in kept
    assert kept["Content-Type"] == "application/json"


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _backend(name: str) -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.text()
        return web.json_response(
            {"backend": name, "path": request.path_qs, "method": request.method, "body": body,
             "header": request.headers.get("X-Trace")},
            status=201 if request.method == "POST" else 200,
            headers={"X-From": name},
        )  # fmt: skip

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def test_the_proxy_alternates_backends_and_forwards_requests_as_they_are() -> None:
    seen = []
    async with (
        _serve(_backend("a")) as a,
        _serve(_backend("b")) as b,
        _serve(make_app([a, b])) as proxy,
        aiohttp.ClientSession() as http,
    ):
        for n in range(4):
            url = f"{proxy}/api/messages?n={n}"
            async with http.post(url, data=f"body {n}", headers={"X-Trace": str(n)}) as answer:
                assert answer.status == 201
                assert answer.headers["X-From"] == ("a", "b")[n % 2]
                seen.append(await answer.json())
    assert [s["backend"] for s in seen] == ["a", "b", "a", "b"]
    assert [s["path"] for s in seen] == [f"/api/messages?n={n}" for n in range(4)]
    assert [s["body"] for s in seen] == [f"body {n}" for n in range(4)]
    assert [s["header"] for s in seen] == ["0", "1", "2", "3"]


async def test_the_proxy_answers_502_when_a_backend_is_down() -> None:
    down = f"http://127.0.0.1:{free_port()}"
    async with (
        _serve(make_app([down])) as proxy,
        aiohttp.ClientSession() as http,
        http.get(f"{proxy}/readyz") as answer,
    ):
        assert answer.status == 502
        assert "backend unreachable" in await answer.text()
