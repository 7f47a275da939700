"""``mailroom audit`` and ``mailroom db`` as an admin runs them (in a process of their own,
the database named by MAILROOM_DATABASE_URL)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.cli_commands.audit import COLUMNS, write_csv
from bot.domain.send_request import Recipients, SenderKind, SendMode
from bot.outbox import GuardResult, Worker
from bot.store import AuditEntry, Store
from emulator.testing import RunningEmulator
from tests.outbox.helpers import (
    DIEGO,
    MEGAN,
    NOREPLY,
    SUPPORT,
    DenyGuard,
    queue_request,
    wait_final,
)

MakeWorker = Callable[..., Worker]
ROOT = Path(__file__).resolve().parents[2]
RUNNER = (
    "import argparse, sys\n"
    "from bot.cli_commands import audit, db\n"
    "parser = argparse.ArgumentParser(prog='mailroom')\n"
    "sub = parser.add_subparsers()\n"
    "audit.register(sub); db.register(sub)\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.handler(args))\n"
)


def mailroom(database_url: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("Microsoft", "MAILROOM"))}
    env["MAILROOM_DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", RUNNER, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


async def test_audit_csv_lists_every_send_with_its_outcome(
    emulator: RunningEmulator,
    store: Store,
    database_url: str,
    make_worker: MakeWorker,
    tmp_path: Path,
) -> None:
    bulk = await queue_request(store, emulator, recipients=(MEGAN, DIEGO))
    await make_worker(store).start()
    await wait_final(store, bulk.id)
    jobs = await store.list_jobs(bulk.id)

    result = mailroom(database_url, tmp_path, "audit", "--format", "csv")

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == COLUMNS
    assert sorted((r["mailroom_id"], r["outcome"]) for r in rows) == sorted(
        (j.mailroom_id, "sent") for j in jobs
    )
    for row in rows:
        assert row["sender_address"] == NOREPLY
        assert (row["sender_kind"], row["mode"]) == ("noreply", "application")
        assert row["request_id"] == bulk.id
        assert row["graph_request_ids"]
        assert row["to"] in (MEGAN, DIEGO)


async def test_audit_filters_by_sender_user_and_time_and_prints_json(
    emulator: RunningEmulator,
    store: Store,
    database_url: str,
    make_worker: MakeWorker,
    tmp_path: Path,
) -> None:
    sent = await queue_request(store, emulator, recipients=(MEGAN,))
    refused = await queue_request(
        store, emulator, sender=SUPPORT, kind=SenderKind.SHARED, mode=SendMode.APPLICATION
    )
    await make_worker(store, guard=_ByRequest({refused.id})).start()
    await wait_final(store, sent.id)
    await wait_final(store, refused.id)

    by_sender = mailroom(database_url, tmp_path, "audit", "--sender", SUPPORT, "--format", "json")
    by_user = mailroom(database_url, tmp_path, "audit", "--user", "ADELE.VANCE@contoso.com")
    future = mailroom(database_url, tmp_path, "audit", "--since", "2999-01-01")
    recent = mailroom(database_url, tmp_path, "audit", "--since", "1h", "--format", "json")

    [row] = json.loads(by_sender.stdout)
    assert (row["outcome"], row["error_code"], row["to"]) == ("failed", "missing_send_as", [MEGAN])
    assert len(list(csv.DictReader(io.StringIO(by_user.stdout)))) == 2
    assert list(csv.DictReader(io.StringIO(future.stdout))) == []
    assert len(json.loads(recent.stdout)) == 2


def test_audit_refuses_a_time_it_cannot_read(tmp_path: Path) -> None:
    result = mailroom(
        f"sqlite:///{tmp_path / 'm.db'}", tmp_path, "audit", "--since", "last tuesday"
    )

    assert result.returncode == 2
    assert "24h or 7d" in result.stderr


def test_db_upgrade_brings_a_new_database_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"

    before = mailroom(url, tmp_path, "db", "status")
    upgraded = mailroom(url, tmp_path, "db", "upgrade")
    again = mailroom(url, tmp_path, "db", "upgrade")
    after = mailroom(url, tmp_path, "db", "status")

    assert before.returncode == 1
    assert "mailroom db upgrade" in before.stdout
    assert upgraded.returncode == 0
    assert upgraded.stdout.startswith("applied migration(s) 1, ")
    assert again.stdout.startswith("the database is up to date")
    assert after.returncode == 0
    assert "up to date" in after.stdout


def test_csv_cells_a_spreadsheet_would_run_are_defused() -> None:
    entry = AuditEntry(
        at=datetime(2026, 11, 26, tzinfo=UTC),
        outcome="sent",
        requester_oid="oid",
        sender_address="s@contoso.com",
        sender_kind=SenderKind.SELF,
        mode=SendMode.DELEGATED,
        recipients=Recipients(to=("a@example.com",)),
        template='=HYPERLINK("https://evil.example")',
        content_hash="h",
    )
    out = io.StringIO()

    write_csv([entry], out)

    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["template"] == '\'=HYPERLINK("https://evil.example")'


class _ByRequest:
    """Refuses the listed requests (as the permission decision would), allows the rest."""

    def __init__(self, refused: set[str]) -> None:
        self._refused = refused

    async def check(self, request):  # type: ignore[no-untyped-def]

        if request.id in self._refused:
            return await DenyGuard("missing_send_as").check(request)
        return GuardResult(True)
