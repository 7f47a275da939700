"""GET /metrics as Prometheus scrapes it: the series during a bulk send through the bot, and
who may scrape (loopback, or a bearer token); plus the Grafana dashboard's expressions, each
naming a series the bot exports."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from prometheus_client.parser import text_string_to_metric_families

from bot.domain.send_request import SendState
from bot.metrics import Metrics, metrics_handler
from bot.settings import Secret
from cards import verbs
from emulator.testing import RunningEmulator
from tests.support.botapp import BotHarness, action, card_in, running_bot, settings_for
from tests.support.policies import fast_support_policy, match_transport
from tests.support.templates import shipped_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = shipped_catalog()
DASHBOARD = ROOT / "docs" / "grafana-mailroom.json"
SUPPORT = "support@contoso.com"
READERS = (
    "johanna.lorenz@contoso.com",
    "patti.fernandez@contoso.com",
    "megan.bowen@contoso.com",
    "diego.siciliani@contoso.com",
)
SEND = "*/messages/*/send"
TOKEN = "metrics-token-for-tests-0123456789abcdef"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def bot(emulator: RunningEmulator, tmp_path: Path) -> AsyncIterator[BotHarness]:
    match_transport(emulator)
    settings = settings_for(emulator, tmp_path, policy=fast_support_policy(tmp_path))
    async with running_bot(settings, emulator) as harness:
        yield harness


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


async def scrape(bot: BotHarness, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(f"{bot.url}/metrics", headers=headers)


async def bulk_send(bot: BotHarness) -> str:
    adele = bot.person("adele.vance@contoso.com")
    compose = card_in(await bot.act(adele, verbs.PICK_SENDER, {"sender": SUPPORT}))
    fields = {f"var_{k}": v for k, v in CATALOG.get("ticket-reply").sample_values().items()}
    rows = "".join(f"{address},Reader {n}\n" for n, address in enumerate(READERS))
    data = {
        **action(compose, verbs.PREVIEW)["data"],
        **fields,
        "bulk_csv": f"email,customer_name\n{rows}",
    }
    preview = card_in(await bot.act(adele, verbs.PREVIEW, data))
    await bot.act(adele, verbs.SEND, action(preview, verbs.SEND)["data"])
    return str(action(preview, verbs.SEND)["data"]["request"])


async def test_a_scrape_during_a_bulk_send_shows_the_outbox_graph_and_turn_series(
    bot: BotHarness, emulator: RunningEmulator
) -> None:
    emulator.control.set_latency(400, path_pattern=SEND)
    emulator.control.add_fault("POST", SEND, "error", count=1, status=429, retry_after=1)
    request_id = await bulk_send(bot)

    during: Samples = {}
    async with asyncio.timeout(20):
        while not (value(during, "mailroom_outbox_depth", mailbox=SUPPORT) or 0) > 0:
            response = await scrape(bot)
            assert response.status_code == 200
            during = parse(response.text)
    assert (value(during, "mailroom_outbox_oldest_age_seconds", mailbox=SUPPORT) or -1) >= 0
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")

    async with asyncio.timeout(30):
        while (await bot.services.store.get_request(request_id)).state is not SendState.SENT:
            await asyncio.sleep(0.05)
    after = parse((await scrape(bot)).text)

    assert value(after, "mailroom_sends_total", outcome="sent") == len(READERS)
    assert value(after, "mailroom_sends_total", outcome="retry") == 1
    assert value(after, "mailroom_graph_throttled_total") == 1
    assert value(after, "mailroom_outbox_depth", mailbox=SUPPORT) is None  # nothing waits now
    assert value(after, "mailroom_approvals_waiting") == 0
    for verb in (verbs.PICK_SENDER, verbs.PREVIEW, verbs.SEND):
        assert value(after, "mailroom_turns_total", type="invoke", verb=verb, outcome="ok") == 1
    count = value(after, "mailroom_turn_duration_seconds_count", type="invoke")
    assert count is not None
    assert count >= 3
    tokens = [v for (name, _), v in after.items() if name == "mailroom_token_requests_total"]
    assert sum(tokens) > 0


async def test_a_forged_verb_is_counted_as_other_not_as_a_new_series(bot: BotHarness) -> None:
    adele = bot.person("adele.vance@contoso.com")
    for n in range(3):
        await bot.act(adele, f"forged.verb.{n}", {})
    samples = parse((await scrape(bot)).text)
    verbs_seen = {
        dict(labels)["verb"] for (name, labels) in samples if name == "mailroom_turns_total"
    }
    assert verbs_seen == {"other"}


async def test_with_a_token_set_a_scrape_without_it_is_refused_even_from_loopback(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(emulator, tmp_path, metrics_token=Secret(TOKEN))
    async with running_bot(settings, emulator) as bot:
        missing = await scrape(bot)
        wrong = await scrape(bot, Authorization=f"Bearer {TOKEN[:-1]}x")
        basic = await scrape(bot, Authorization=f"Basic {TOKEN}")
        right = await scrape(bot, Authorization=f"Bearer {TOKEN}")
    assert [r.status_code for r in (missing, wrong, basic)] == [401, 401, 401]
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "mailroom_" not in missing.text + wrong.text + basic.text
    assert TOKEN not in missing.text
    assert right.status_code == 200
    assert "mailroom_turns_total" in right.text


async def nothing_to_refresh(metrics: Metrics) -> None:
    return None


@pytest.mark.parametrize("peer", ["203.0.113.7", "10.0.0.5", "2001:db8::1"])
async def test_without_a_token_a_peer_other_than_loopback_is_refused(peer: str) -> None:
    handler = metrics_handler(Metrics(), None, nothing_to_refresh)
    response = await handler(mocked_get(peer))
    assert isinstance(response, web.Response)
    assert response.status == 403
    assert response.text is not None
    assert "mailroom_" not in response.text


@pytest.mark.parametrize("peer", ["127.0.0.1", "::1"])
async def test_without_a_token_a_loopback_peer_is_served(peer: str) -> None:
    handler = metrics_handler(Metrics(), None, nothing_to_refresh)
    response = await handler(mocked_get(peer))
    assert isinstance(response, web.Response)
    assert response.status == 200


async def test_a_forwarded_for_header_does_not_make_a_peer_loopback() -> None:
    handler = metrics_handler(Metrics(), None, nothing_to_refresh)
    request = mocked_get("203.0.113.7", {"X-Forwarded-For": "127.0.0.1"})
    assert (await handler(request)).status == 403


class _Transport:
    def __init__(self, peer: str) -> None:
        self._peer = peer

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return (self._peer, 40000) if name == "peername" else default


def mocked_get(peer: str, headers: dict[str, str] | None = None) -> web.Request:
    return make_mocked_request("GET", "/metrics", headers=headers, transport=_Transport(peer))


def test_two_apps_in_one_process_keep_their_own_series() -> None:
    first, second = Metrics(), Metrics()
    first.send("sent")
    assert 'mailroom_sends_total{outcome="sent"} 1.0' in first.exposition().decode()
    assert "mailroom_sends_total{" not in second.exposition().decode()


# --- the Grafana dashboard ---------------------------------------------------------------

_FUNCTIONS = {
    "sum", "rate", "increase", "histogram_quantile", "max", "min", "avg", "by", "without",
    "topk", "count", "le", "on", "ignoring", "irate", "clamp_min", "offset", "bool", "or",
    "and", "unless", "vector", "time",
}  # fmt: skip


def exported_series() -> set[str]:
    """Every sample name the bot can export, histogram parts included."""
    metrics = Metrics()
    names: set[str] = set()
    for family in metrics.registry.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {f"{family.name}_{part}" for part in ("bucket", "sum", "count")}
        else:
            names.add(family.name)
    return names


def panel_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return [
        target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]


def test_the_dashboard_has_a_panel_for_each_kind_of_series() -> None:
    text = " ".join(panel_expressions())
    for series in (
        "mailroom_turns_total",
        "mailroom_turn_duration_seconds_bucket",
        "mailroom_outbox_depth",
        "mailroom_outbox_oldest_age_seconds",
        "mailroom_sends_total",
        "mailroom_graph_throttled_total",
        "mailroom_graph_retries_total",
        "mailroom_reconciliations_total",
        "mailroom_token_requests_total",
        "mailroom_approvals_waiting",
    ):
        assert series in text, f"no panel shows {series}"


def test_every_dashboard_expression_names_only_series_the_bot_exports() -> None:
    known = exported_series()
    expressions = panel_expressions()
    assert expressions
    for expression in expressions:
        without_labels = re.sub(
            r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"|\b(?:by|without|on|ignoring)\s*\([^)]*\)",
            " ",
            expression,
        )
        names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels)) - _FUNCTIONS
        series = {n for n in names if not re.fullmatch(r"[0-9.e]+", n)}
        assert series, expression
        assert series <= known, f"{expression}: {sorted(series - known)} not exported"
