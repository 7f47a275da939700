"""``run_dev``: start the emulator, the bot and the Agents Playground; stop them together.

Everything ``mailroom dev`` writes lives in the current directory: ``.mailroom/`` (emulator
state, ``dev.db``, ``logs/``, ``dev.json`` while running) and ``.m365agentsplayground.yml``.
SIGINT, SIGTERM and SIGHUP stop them all (Playgrounds, bot, emulator, in that order, each
as a process group); if one of them dies, the others are stopped too.

Two Playgrounds run side by side, one per demo user (``--as`` and ``--second``): the
Playground has one ``currentUser`` per configuration file and no user switch (its server
answers every chat as that user), so a second instance on the next port, with its own file
``.mailroom/playground-second.yml``, is how the second person approves what the first asks.
Both share one Teams service URL, served by the bot at ``/_dev/connector`` (``bot/devmode/
service_url.py``), so a chat the bot opens for someone reaches that person's Playground.
The bot also serves the development inbox (``bot/devmode/inbox.py``) at ``/_dev/inbox/``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot.devmode import node as nodejs
from bot.devmode import playground_config, service_url
from bot.devmode.environment import bot_env
from bot.devmode.files import write_json
from bot.devmode.processes import Child, StopSignals, free_port, port_in_use
from bot.devmode.readiness import (
    EmulatorInfo,
    bot_probe,
    emulator_probe,
    playground_probe,
    wait_for,
)
from bot.errors import ConfigError, DevStartupFailed
from emulator.seed import DEMO_SEED, Account, SeedError, Tenant, load_seed

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BOT_PORT = 3978
DEFAULT_PLAYGROUND_PORT = 56150
INBOX_PATH = "/_dev/inbox/"


@dataclass(frozen=True)
class DevOptions:
    user: str | None = None  # --as
    second_user: str | None = None  # --second: the other Playground's user
    ui: bool = True  # False: --no-ui
    bot_port: int = DEFAULT_BOT_PORT  # 0: any free port
    playground_port: int = DEFAULT_PLAYGROUND_PORT  # 0: any free port
    emulator_port: int = 0  # 0: any free port
    seed: Path = DEMO_SEED
    workdir: Path = field(default_factory=Path.cwd)
    tools_dir: Path = PROJECT_ROOT / "tools" / "node"
    startup_timeout: float = 60.0


@dataclass(frozen=True)
class DevPaths:
    state: Path
    emulator_state: Path
    logs: Path
    run_file: Path
    playground_config: Path

    @classmethod
    def under(cls, workdir: Path) -> DevPaths:
        state = workdir / ".mailroom"
        return cls(
            state=state,
            emulator_state=state / "emulator",
            logs=state / "logs",
            run_file=state / "dev.json",
            playground_config=workdir / playground_config.CONFIG_FILE_NAME,
        )

    @property
    def second_playground_config(self) -> Path:
        return self.state / "playground-second.yml"

    @property
    def playgrounds(self) -> Path:
        """The Playgrounds behind the shared service URL (``bot/devmode/service_url.py``)."""
        return self.state / service_url.CLIENTS_FILE


@dataclass(frozen=True)
class Running:
    """Where everything answers, once it all does (also written to ``.mailroom/dev.json``)."""

    emulator: EmulatorInfo
    bot_url: str
    playground_url: str | None
    user: Account
    pids: Mapping[str, int]
    second_user: Account | None = None
    second_playground_url: str | None = None

    @property
    def inbox_url(self) -> str:
        return f"{self.bot_url}{INBOX_PATH}"

    def as_json(self) -> dict[str, object]:
        return {
            "playground_url": self.playground_url,
            "bot_url": self.bot_url,
            "messaging_endpoint": f"{self.bot_url}/api/messages",
            "emulator_url": self.emulator.base_url,
            "ca_path": str(self.emulator.ca_path),
            "tenant_id": self.emulator.tenant_id,
            "teams_app_id": self.emulator.teams_app_id,
            "user": {
                "name": self.user.display_name,
                "upn": self.user.upn,
                "aad_object_id": self.user.id,
                "teams_id": playground_config.teams_user_id(self.user),
            },
            "inbox_url": self.inbox_url,
            "second_playground_url": self.second_playground_url,
            "second_user": None
            if self.second_user is None
            else {
                "name": self.second_user.display_name,
                "upn": self.second_user.upn,
                "aad_object_id": self.second_user.id,
            },
            "pids": dict(self.pids),
        }


def banner(running: Running, tenant: Tenant, ui_note: str | None) -> str:
    user = running.user
    others = [
        playground_config.first_name(a).lower()
        for a in playground_config.people(tenant)
        if a.id != user.id
    ]
    title = f", {user.job_title}" if user.job_title else ""
    ui = _localhost(running.playground_url) if running.playground_url else f"not started: {ui_note}"
    lines = [
        "",
        f"Mailroom is running on its embedded default: a local {tenant.display_name} tenant, "
        "nothing leaves this machine.",
        "",
        f"  Teams (Agents Playground)  {ui}",
        f"  You are                    {user.display_name} <{user.upn}>{title}",
        f"  Be someone else            mailroom dev --as {' | '.join(others)}",
    ]
    second = running.second_user
    if running.second_playground_url and second is not None:
        lines += [
            f"  Second user (approvals)    {_localhost(running.second_playground_url)}",
            f"                             as {second.display_name} <{second.upn}>"
            " (choose with --second)",
        ]
    lines += [
        f"  Mailboxes (dev inbox)      {_localhost(running.inbox_url)}",
        f"  Bot                        {running.bot_url}/api/messages",
        f"  Tenant emulator            {running.emulator.base_url}",
        "  Logs                       the bot's below; the others' in .mailroom/logs/",
        "",
    ]
    if running.playground_url:
        lines += [
            "Open the Playground and type /help or /send. It has no sign-in and listens on",
            "127.0.0.1 only: it is for development machines, never a shared host.",
        ]
    lines += ["Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def _localhost(url: str) -> str:
    return url.replace("127.0.0.1", "localhost", 1)


def second_person(tenant: Tenant, user: Account, wanted: str | None) -> Account:
    """The other Playground's user: ``--second``, or the seed's first other person with a
    mailbox."""
    if wanted:
        second = playground_config.pick_user(tenant, wanted)
        if second.id == user.id:
            raise ConfigError("--second", "choose someone other than the --as user")
        return second
    others = [a for a in playground_config.people(tenant) if a.id != user.id]
    with_mailbox = [a for a in others if a.has_mailbox]
    return (with_mailbox or others)[0]


class DevSession:
    """One run of ``mailroom dev``: owns the children and stops them, whatever happens."""

    def __init__(
        self, options: DevOptions, tenant: Tenant, user: Account, out: TextIO, err: TextIO
    ) -> None:
        self.options = options
        self.tenant = tenant
        self.user = user
        self.second = second_person(tenant, user, options.second_user)
        self.out = out
        self.err = err
        self.paths = DevPaths.under(options.workdir)
        self.children: list[Child] = []
        self.stop = StopSignals()

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def complain(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def run(self) -> int:
        with self.stop:
            try:
                return self._run()
            except DevStartupFailed as error:
                self.complain(f"mailroom dev: the {error.process} {error.reason}.")
                if error.log:
                    self.complain(f"--- end of its output ---\n{error.log}\n---")
                return 1
            finally:
                self._stop_children()

    def _run(self) -> int:
        bot_port = self.options.bot_port or free_port()
        if port_in_use(bot_port):
            self.complain(
                f"mailroom dev: port {bot_port} is in use (another mailroom dev?); "
                "choose another with --port"
            )
            return 1
        node, ui_note = self._prepare_ui()
        if self.stop.requested:
            return 0
        for folder in (self.paths.state, self.paths.emulator_state, self.paths.logs):
            folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.paths.playgrounds.unlink()  # the last run's Playgrounds are gone
        deadline = time.monotonic() + self.options.startup_timeout

        emulator = self._start_emulator(deadline)
        if emulator is None:
            return 0
        bot_url = self._start_bot(emulator, bot_port, deadline)
        if bot_url is None:
            return 0
        playground_url = second_url = None
        if node is not None:
            playground_url = self._start_playground(
                node,
                bot_port=bot_port,
                deadline=deadline,
                user=self.user,
                config=self.paths.playground_config,
                name="playground",
            )
            if playground_url is None:
                return 0
            second_url = self._start_playground(
                node,
                bot_port=bot_port,
                deadline=deadline,
                user=self.second,
                config=self.paths.second_playground_config,
                name="second playground",
            )
            if second_url is None:
                return 0
        running = Running(
            emulator=emulator,
            bot_url=bot_url,
            playground_url=playground_url,
            user=self.user,
            pids={child.name: child.pid for child in self.children},
            second_user=self.second if second_url else None,
            second_playground_url=second_url,
        )
        write_json(self.paths.run_file, running.as_json())
        self.say(banner(running, self.tenant, ui_note))
        return self._watch()

    def _prepare_ui(self) -> tuple[nodejs.NodeSetup | None, str | None]:
        """The Node.js to run the Playground with (installing it on first use), or None
        and the reason."""
        if not self.options.ui:
            return None, "--no-ui"
        tools = self.options.tools_dir
        if not (tools / "package.json").is_file():
            return None, f"{tools}/package.json is missing (the UI ships with the source tree)"
        setup = nodejs.find_node()
        if setup.problem is not None:
            return None, f"{setup.problem}. {nodejs.HOW_TO_GET_NODE}"
        if nodejs.needs_install(tools):
            log = self.paths.logs / "npm-ci.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            self.say("mailroom dev: installing the Microsoft 365 Agents Playground (first run)...")
            code = nodejs.npm_ci(setup, tools, log)
            if code != 0 and not self.stop.requested:
                raise DevStartupFailed(
                    "Playground install", f"failed: npm ci exited with {code}", log=_tail(log)
                )
        return setup, None

    def _start_emulator(self, deadline: float) -> EmulatorInfo | None:
        child = self._spawn(
            "emulator",
            [
                sys.executable,
                "-m",
                "emulator",
                "--seed",
                str(self.options.seed.resolve()),
                "--port",
                str(self.options.emulator_port),
                "--state-dir",
                str(self.paths.emulator_state.resolve()),
            ],
            env=os.environ,
            log_path=self.paths.logs / "emulator.log",
        )
        probe = emulator_probe(self.paths.emulator_state / "emulator.json", child.pid)
        return wait_for(
            child, "answer", probe, deadline=deadline, should_stop=lambda: self.stop.requested
        )

    def _start_bot(self, emulator: EmulatorInfo, port: int, deadline: float) -> str | None:
        child = self._spawn(
            "bot",
            [
                sys.executable,
                "-m",
                "bot.devmode.botserver",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=bot_env(os.environ, emulator, self.tenant, self.options.workdir),
            log_path=None,  # the bot is what you are working on: its log goes to the terminal
        )
        url = f"http://127.0.0.1:{port}"
        ready = wait_for(
            child,
            "become ready",
            bot_probe(url),
            deadline=deadline,
            should_stop=lambda: self.stop.requested,
        )
        return url if ready else None

    def _start_playground(
        self,
        node: nodejs.NodeSetup,
        *,
        bot_port: int,
        deadline: float,
        user: Account,
        config: Path,
        name: str,
    ) -> str | None:
        stem = name.replace(" ", "-")
        stdout = self.paths.logs / f"{stem}.out"
        log = self.paths.logs / f"{stem}.log"
        playground_config.write(config, self.tenant, user, source=self.options.seed.name)
        port = self.options.playground_port
        if port and name != "playground":
            port += 1  # the second one beside the first; 0 stays "any free port"
        child = self._spawn(
            name,
            nodejs.playground_command(
                node,
                self.options.tools_dir,
                f"http://127.0.0.1:{bot_port}/api/messages",
                port,
            ),
            env={
                **nodejs.playground_env(os.environ, config, log),
                service_url.ENV: service_url.service_url(f"http://127.0.0.1:{bot_port}"),
            },
            log_path=stdout,
        )
        try:
            listening = wait_for(
                child,
                "answer",
                playground_probe(stdout),
                deadline=deadline,
                should_stop=lambda: self.stop.requested,
            )
        except DevStartupFailed as error:
            raise DevStartupFailed(
                error.process, error.reason, log=_tail(log) or error.log
            ) from None
        if listening is None:
            return None
        url = f"http://127.0.0.1:{listening}"
        service_url.register(self.paths.playgrounds, service_url.Client.of(url, user))
        return url

    def _spawn(
        self, name: str, argv: list[str], *, env: Mapping[str, str], log_path: Path | None
    ) -> Child:
        child = Child(name, argv, env=env, cwd=self.options.workdir, log_path=log_path)
        self.children.append(child)
        return child

    def _watch(self) -> int:
        while not self.stop.requested:
            for child in self.children:
                code = child.exit_code()
                if code is not None:
                    self.complain(f"mailroom dev: the {child.name} stopped (exit code {code}).")
                    output = child.tail()
                    if output:
                        self.complain(f"--- end of its output ---\n{output}\n---")
                    return 1
            time.sleep(0.3)
        return 0

    def _stop_children(self) -> None:
        if self.children:
            self.say("mailroom dev: stopping...")
        for child in reversed(self.children):
            try:
                child.stop()
            except subprocess.TimeoutExpired:
                self.complain(f"mailroom dev: the {child.name} (pid {child.pid}) would not stop")
        self.children.clear()
        for written in (self.paths.run_file, self.paths.playgrounds):
            with contextlib.suppress(FileNotFoundError):
                written.unlink()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_dev(options: DevOptions, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run until stopped; the process exit code (2: bad options or seed, 1: a process
    failed, 0: stopped by a signal)."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        tenant = load_seed(options.seed)
        user = playground_config.pick_user(tenant, options.user)
        second_person(tenant, user, options.second_user)  # a bad --second stops here
        if options.ui:
            playground_config.other_users(tenant, user)  # fail now if the seed is too small
    except (SeedError, OSError) as error:
        print(f"mailroom dev: cannot read the seed: {error}", file=err)
        return 2
    except ConfigError as error:
        print(f"mailroom dev: {error}", file=err)
        return 2
    return DevSession(options, tenant, user, out, err).run()
