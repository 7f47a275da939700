"""The Dockerfile, read as text (no Docker engine runs here): everything it copies exists and
reaches the build, it installs from the lock file, runs as a non-root user, and its health
check really fails when /healthz does."""

from __future__ import annotations

import fnmatch
import json
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.packaging.conftest import ROOT

Instruction = tuple[str, str]


def instructions() -> list[Instruction]:
    """(KEYWORD, arguments) per instruction, with continuation lines joined."""
    result: list[Instruction] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        keyword, _, rest = whole.partition(" ")
        result.append((keyword.upper(), rest.strip()))
    return result


def final_stage() -> list[Instruction]:
    everything = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(everything) if keyword == "FROM")
    return everything[last_from:]


def copy_sources(arguments: str) -> tuple[list[str], list[str]]:
    """(flags, sources) of a COPY/ADD in shell or JSON form; the last word is the target."""
    words = json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)
    flags = [word for word in words if word.startswith("--")]
    paths = [word for word in words if not word.startswith("--")]
    return flags, paths[:-1]


def dockerignore_excludes(path: str) -> bool:
    """.dockerignore's verdict on a top-level path: the last matching pattern wins."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if fnmatch.fnmatchcase(path, pattern) or path.startswith(pattern + "/"):
            excluded = not negated
    return excluded


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    copies = [(k, a) for k, a in instructions() if k in ("COPY", "ADD")]
    assert copies
    for _keyword, arguments in copies:
        flags, sources = copy_sources(arguments)
        if any(flag.startswith("--from") for flag in flags):
            continue  # from another stage or image, not from this repository
        for source in sources:
            assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
            assert not dockerignore_excludes(source), f"COPY {source}: .dockerignore drops it"


@pytest.mark.parametrize(
    "secret", [".env", ".mailroom", ".venv", "tools/node/node_modules", "env/.env.dev.user"]
)
def test_secrets_and_local_state_stay_out_of_the_build_context(secret: str) -> None:
    assert dockerignore_excludes(secret)


def test_the_image_is_slim_python_installed_from_the_lock_file() -> None:
    arg_lines = [a for k, a in instructions() if k == "ARG" and a.startswith("PYTHON_IMAGE=")]
    assert arg_lines
    image = arg_lines[0].split("=", 1)[1]
    assert image.startswith(("python:3.11-slim", "python:3.12-slim")), image
    runs = " ".join(a for k, a in instructions() if k == "RUN")
    assert "uv sync --frozen --no-dev" in runs


def test_the_server_runs_as_a_non_root_user() -> None:
    users = [a for k, a in final_stage() if k == "USER"]
    assert users
    assert users[-1] not in ("root", "0")


def test_the_command_is_mailroom_serve() -> None:
    [command] = [a for k, a in final_stage() if k == "CMD"]
    assert json.loads(command) == ["mailroom", "serve"]


def healthcheck_command() -> list[str]:
    [arguments] = [a for k, a in final_stage() if k == "HEALTHCHECK"]
    _options, _, command = arguments.partition("CMD ")
    words: list[str] = json.loads(command)
    return words


def serve_health(status: int) -> ThreadingHTTPServer:
    """A loopback server whose /healthz answers ``status``."""

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    return ThreadingHTTPServer(("127.0.0.1", 0), Health)


@contextmanager
def health_server(status: int) -> Iterator[int]:
    server = serve_health(status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(port: int) -> int:
    words = healthcheck_command()
    assert words[:2] == ["python", "-c"]
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-c", words[2]], env=env, capture_output=True, timeout=30, check=False
    ).returncode


def test_the_health_check_asks_healthz_and_passes_when_it_answers() -> None:
    with health_server(200) as port:
        assert run_healthcheck(port) == 0


def test_the_health_check_fails_when_healthz_fails() -> None:
    with health_server(500) as port:
        assert run_healthcheck(port) != 0
