"""Children of `mailroom dev` are stopped as whole process groups: nothing is left behind."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from pathlib import Path

import pytest

from bot.devmode.processes import Child, StopSignals, free_port, port_in_use
from bot.errors import DevStartupFailed

# A child that starts a grandchild in its own process group, then waits.
FAMILY = (
    "import subprocess, sys, time;"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
    "print('ready', flush=True); time.sleep(60)"
)


def _wait_for_text(path: Path, text: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if path.is_file() and text in path.read_text(encoding="utf-8"):
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never appeared in {path}")


def test_stop_ends_the_child_and_its_children(tmp_path: Path) -> None:
    log = tmp_path / "family.log"
    child = Child(
        "family", [sys.executable, "-c", FAMILY], env=os.environ, cwd=tmp_path, log_path=log
    )
    _wait_for_text(log, "ready")
    assert child.group_alive()
    child.stop(timeout=5)
    assert child.exit_code() is not None
    assert not child.group_alive()


def test_a_child_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "print('ready', flush=True); time.sleep(60)"
    )
    log = tmp_path / "stubborn.log"
    child = Child(
        "stubborn", [sys.executable, "-c", stubborn], env=os.environ, cwd=tmp_path, log_path=log
    )
    _wait_for_text(log, "ready")
    child.stop(timeout=0.5)
    assert child.exit_code() == -signal.SIGKILL
    assert not child.group_alive()


def test_a_childs_log_tail_is_kept_for_error_messages(tmp_path: Path) -> None:
    log = tmp_path / "chatty.log"
    script = "import sys; print('\\n'.join(f'line {i}' for i in range(100))); sys.exit(3)"
    child = Child(
        "chatty", [sys.executable, "-c", script], env=os.environ, cwd=tmp_path, log_path=log
    )
    child.process.wait(20)
    child.stop()
    assert child.exit_code() == 3
    assert child.tail(2) == "line 98\nline 99"


def test_stop_signals_become_a_flag_and_old_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_port_someone_listens_on_is_in_use() -> None:
    port = free_port()
    assert not port_in_use(port)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        assert port_in_use(port)


def test_a_program_that_cannot_start_is_named(tmp_path: Path) -> None:
    with pytest.raises(DevStartupFailed) as caught:
        Child("ghost", [str(tmp_path / "no-such-program")], env=os.environ, cwd=tmp_path)
    assert caught.value.process == "ghost"
    assert "could not be started" in caught.value.reason
