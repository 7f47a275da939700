"""``mailroom dev`` end to end: emulator + bot + the real Agents Playground (npm), driven
through the Playground's HTTP/WebSocket API, then stopped with Ctrl-C (SIGINT).

Needs Node.js 20+ and npm (CI has them); skipped otherwise. The one-time ``npm ci`` runs
first (``playground_installed`` in conftest.py) so that the startup deadline measures the
start, not the download.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from emulator.seed import DEMO_SEED, load_seed
from tests.e2e.devrun import DevRun, group_alive, running_dev
from tests.e2e.playground import BotMessage, Playground, PlaygroundError

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DEMO = load_seed(DEMO_SEED)


@pytest.fixture(scope="module")
def dev(playground_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRun]:
    with running_dev(tmp_path_factory.mktemp("mailroom-dev"), []) as run:
        yield run


async def test_playground_speaks_for_a_demo_user_of_the_emulated_tenant(dev: DevRun) -> None:
    async with Playground.connect(dev.playground_url) as playground:
        config = playground.config
    adele = DEMO.account("adele.vance@contoso.com")
    assert adele is not None
    assert config.tenant_id == DEMO.id == dev.info["tenant_id"]
    assert config.current_user_aad_object_id == adele.id == dev.info["user"]["aad_object_id"]
    assert {user["aadObjectId"] for user in config.users} <= {a.id for a in DEMO.accounts}


async def test_help_typed_in_the_playground_gets_the_help_card(dev: DevRun) -> None:
    async with Playground.connect(dev.playground_url) as playground:
        await playground.send_text("/help")
        try:
            reply = await playground.expect(BotMessage.has_card, timeout=30)
        except PlaygroundError as error:
            pytest.fail(f"{error}\n{dev.logs()}")
        bot_id = playground.config.bot_id
    text = reply.all_text()
    assert "/send" in text, text
    assert reply.card["version"] == "1.5"
    assert reply.from_id == bot_id


async def test_a_card_button_round_trips_through_the_playground(dev: DevRun) -> None:
    async with Playground.connect(dev.playground_url) as playground:
        await playground.send_text("/help")
        reply = await playground.expect(BotMessage.has_card, timeout=30)
        try:
            answer = await playground.execute(reply, "send.start")
        except PlaygroundError as error:
            pytest.fail(f"{error}\n{dev.logs()}")
    assert answer.card["type"] == "AdaptiveCard", (answer, dev.logs())


def test_the_banner_links_answer_with_the_inbox_and_a_second_user(dev: DevRun) -> None:
    printed = dev.printed()
    links = re.findall(r"http://localhost:\d+[^\s]*", printed)
    inbox = dev.info["inbox_url"].replace("127.0.0.1", "localhost", 1)
    second = dev.info["second_playground_url"].replace("127.0.0.1", "localhost", 1)
    assert inbox in links, printed
    assert second in links, printed
    with httpx.Client(timeout=10, trust_env=False) as client:
        for link in links:
            if link.endswith("/api/messages"):
                continue  # POST only: the Playground's way in, not a page
            assert client.get(link).status_code == 200, (link, dev.logs())
        assert "Mailboxes" in client.get(inbox).text


async def test_the_second_playground_speaks_for_another_demo_user(dev: DevRun) -> None:
    async with Playground.connect(dev.info["second_playground_url"]) as playground:
        config = playground.config
    assert config.current_user_aad_object_id == dev.info["second_user"]["aad_object_id"]
    assert config.current_user_aad_object_id != dev.info["user"]["aad_object_id"]


def test_ctrl_c_stops_emulator_bot_and_playground(dev: DevRun) -> None:
    pids = dict(dev.info["pids"])
    assert set(pids) == {"emulator", "bot", "playground", "second playground"}
    code = dev.interrupt()
    assert code == 0, dev.logs()
    left = {name: pid for name, pid in pids.items() if group_alive(pid)}
    assert not left, f"still running after mailroom dev stopped: {left}"
    assert not (dev.workdir / ".mailroom" / "dev.json").exists()
