"""`mailroom dev` up front: bad options stop it before anything starts; what it prints."""

from __future__ import annotations

import dataclasses
import io
import socket
from pathlib import Path

import pytest

from bot.devmode.readiness import EmulatorInfo
from bot.devmode.runner import DevOptions, Running, banner, run_dev, second_person
from bot.errors import ConfigError
from emulator.seed import DEMO_SEED, load_seed

DEMO = load_seed(DEMO_SEED)


def _running(playground_url: str | None) -> Running:
    megan = DEMO.account("megan.bowen@contoso.com")
    assert megan is not None
    return Running(
        emulator=EmulatorInfo("https://127.0.0.1:4443", Path("ca.pem"), DEMO.id),
        bot_url="http://127.0.0.1:3978",
        playground_url=playground_url,
        user=megan,
        pids={"emulator": 1, "bot": 2, "playground": 3},
    )


def test_an_unknown_user_stops_before_anything_starts(tmp_path: Path) -> None:
    err = io.StringIO()
    code = run_dev(DevOptions(user="mallory", workdir=tmp_path), out=io.StringIO(), err=err)
    assert code == 2
    assert "--as" in err.getvalue()
    assert not (tmp_path / ".mailroom").exists()


def test_a_busy_bot_port_is_named_with_the_option_to_change_it(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        err = io.StringIO()
        code = run_dev(DevOptions(bot_port=port, workdir=tmp_path), out=io.StringIO(), err=err)
    assert code == 1
    assert f"port {port} is in use" in err.getvalue()
    assert "--port" in err.getvalue()


def test_banner_says_where_to_click_and_who_you_are() -> None:
    text = banner(_running("http://127.0.0.1:56150"), DEMO, None)
    assert "http://localhost:56150" in text
    assert "Megan Bowen <megan.bowen@contoso.com>" in text
    assert "--as adele" in text
    assert "development machines" in text


def test_banner_links_the_dev_inbox_and_the_second_user() -> None:
    diego = DEMO.account("diego.siciliani@contoso.com")
    running = dataclasses.replace(
        _running("http://127.0.0.1:56150"),
        second_user=diego,
        second_playground_url="http://127.0.0.1:56151",
    )
    text = banner(running, DEMO, None)
    assert "http://localhost:3978/_dev/inbox/" in text
    assert "/_emulator/" not in text  # that API wants the emulator's CA and control name
    assert "http://localhost:56151" in text
    assert "Diego Siciliani <diego.siciliani@contoso.com>" in text
    assert "--second" in text
    info = running.as_json()
    assert info["inbox_url"] == "http://127.0.0.1:3978/_dev/inbox/"
    assert info["second_playground_url"] == "http://127.0.0.1:56151"


def test_the_second_user_is_someone_else() -> None:
    megan = DEMO.account("megan.bowen@contoso.com")
    assert megan is not None
    assert second_person(DEMO, megan, None).id != megan.id
    assert second_person(DEMO, megan, "diego").upn == "diego.siciliani@contoso.com"
    with pytest.raises(ConfigError, match="--second"):
        second_person(DEMO, megan, "megan")


def test_a_second_user_equal_to_the_first_stops_before_anything_starts(tmp_path: Path) -> None:
    err = io.StringIO()
    options = DevOptions(user="megan", second_user="megan", workdir=tmp_path)
    assert run_dev(options, out=io.StringIO(), err=err) == 2
    assert "--second" in err.getvalue()
    assert not (tmp_path / ".mailroom").exists()


def test_banner_without_node_says_how_to_get_the_ui() -> None:
    text = banner(_running(None), DEMO, "Node.js is not installed. Install Node.js 20 or newer")
    assert "not started: Node.js is not installed" in text
    assert "Install Node.js 20" in text


def test_run_file_has_what_tools_need_to_find_everything() -> None:
    info = _running("http://127.0.0.1:56150").as_json()
    assert info["playground_url"] == "http://127.0.0.1:56150"
    assert info["messaging_endpoint"] == "http://127.0.0.1:3978/api/messages"
    assert info["user"] == {
        "name": "Megan Bowen",
        "upn": "megan.bowen@contoso.com",
        "aad_object_id": "11744ff5-b6c4-42b5-8c1f-a4b55da0acc3",
        "teams_id": "29:11744ff5-b6c4-42b5-8c1f-a4b55da0acc3",
    }
