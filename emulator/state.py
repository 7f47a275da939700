"""Everything the running emulator remembers: mailboxes, the request log, faults, throttle
counters, connector activities. It all lives in memory and ``reset()`` returns to the seed."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from emulator.connector_limits import ConnectorLimiter
from emulator.faults import FaultTable, LatencyModel
from emulator.recipient_quota import RecipientQuota
from emulator.seed import Tenant
from emulator.throttle import Throttle
from emulator.token_store import TokenServiceStore
from emulator.tokens import TokenService

FOLDERS = ("inbox", "sentitems", "drafts", "deleteditems")

Json = dict[str, Any]


@dataclass
class Limits:
    max_recipients: int = 500
    # Size of the sendMail / message JSON as received (attachments are base64 inside it).
    max_message_bytes: int = 35 * 1024 * 1024
    exchange_page_size: int = 1000
    # Exchange's recipient rate limit per mailbox per rolling 24 h (emulator/recipient_quota.py).
    recipients_per_day: int = 10_000
    upload_session_seconds: int = 900
    """Lifetime of an attachment upload session's URL. Microsoft gives each session an
    ``expirationDateTime`` without documenting its length; 15 minutes here, settable."""
    download_url_seconds: int = 300
    """Lifetime of a Teams file's pre-authenticated ``downloadUrl`` ("short-lived"; Microsoft
    names no figure)."""


@dataclass
class UploadSession:
    """An attachment upload session: the bytes received so far, in order."""

    id: str
    token: str
    mailbox_id: str
    message_id: str
    name: str
    content_type: str
    is_inline: bool
    size: int
    expires: int
    received: bytearray = field(default_factory=bytearray)


@dataclass
class SharedFile:
    """A file a user sent to the bot in personal chat: it lives in the user's OneDrive and the
    bot reads it from a pre-authenticated, short-lived URL."""

    unique_id: str
    owner_upn: str
    name: str
    data: bytes
    token: str
    expires: int


class MailStore:
    def __init__(self) -> None:
        self._folders: dict[str, dict[str, list[Json]]] = defaultdict(
            lambda: {name: [] for name in FOLDERS}
        )
        self.external: list[Json] = []

    def clear(self) -> None:
        self._folders.clear()
        self.external.clear()

    def folder(self, account_id: str, name: str) -> list[Json]:
        return self._folders[account_id][name]

    def put(self, account_id: str, folder: str, message: Json) -> None:
        self._folders[account_id][folder].append(message)

    def find(self, account_id: str, message_id: str) -> tuple[str, Json] | None:
        for name, messages in self._folders[account_id].items():
            for message in messages:
                if message["id"] == message_id:
                    return name, message
        return None

    def remove(self, account_id: str, folder: str, message_id: str) -> None:
        messages = self._folders[account_id][folder]
        messages[:] = [m for m in messages if m["id"] != message_id]


@dataclass
class TransportSettings:
    move_delay: float = 2.0
    """Seconds from Graph's 202 until transport takes the message out of Drafts (into Sent
    Items) and hands it on. Microsoft documents the steps, not the time: "a few seconds"."""


@dataclass
class TransportState:
    """Messages Graph accepted that transport has not finished with, and the record of every
    accepted message (``emulator/graph/transport.py`` does the work)."""

    settings: TransportSettings = field(default_factory=TransportSettings)
    submitted: set[tuple[str, str]] = field(default_factory=set)
    """(mailbox id, item id) of drafts accepted for sending, not yet taken."""
    record: list[Json] = field(default_factory=list)
    timers: set[asyncio.TimerHandle] = field(default_factory=set)
    pending: int = 0
    quota: RecipientQuota = field(default_factory=RecipientQuota)

    def clear(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()
        self.submitted.clear()
        self.record.clear()
        self.pending = 0
        self.quota.clear()
        self.settings = TransportSettings()


class RequestLog:
    def __init__(self) -> None:
        self._entries: list[Json] = []
        self._seq = itertools.count(1)

    def append(self, entry: Json) -> None:
        entry["seq"] = next(self._seq)
        self._entries.append(entry)

    def entries(self) -> list[Json]:
        return copy.deepcopy(self._entries)

    def clear(self) -> None:
        self._entries.clear()


class ConnectorStore:
    """Activities the bot posted to the Bot Connector stand-in, with their updates."""

    def __init__(self) -> None:
        self.activities: list[Json] = []
        self.conversations: dict[str, Json] = {}
        self.auth_required = False
        self.limiter = ConnectorLimiter()
        self._ids = itertools.count(1)

    def clear(self) -> None:
        self.activities.clear()
        self.conversations.clear()
        self.auth_required = False
        self.limiter.reset()

    def new_id(self) -> str:
        return f"{int(time.time() * 1000)}{next(self._ids):04d}"


class TeamsApps:
    """Mailroom in the tenant's Teams app catalog, and for whom it is installed.

    ``catalog_id`` is the catalog's id of the app (not the manifest's id: learn.microsoft.com/
    microsoftteams/platform/graph-api/proactive-bots-and-messages/graph-proactive-bots-and-
    messages, "Get the teamsAppId"). ``installed``: object ids of the users with the app in
    their personal scope. ``install_blocked``: the tenant's app permission policy keeps the
    app from being installed for anyone (Graph answers 403)."""

    catalog_id = "6b3c1d2e-7f80-4a91-b2c3-d4e5f6a7b8c9"

    def __init__(self) -> None:
        self.installed: set[str] = set()
        self.install_blocked = False

    def clear(self) -> None:
        self.installed.clear()
        self.install_blocked = False


class EmulatorState:
    def __init__(self, tenant: Tenant, tokens: TokenService, base_url: str) -> None:
        self.seed = tenant
        self.tenant = tenant
        self.tokens = tokens
        self.base_url = base_url
        self.mail = MailStore()
        self.log = RequestLog()
        self.faults = FaultTable()
        self.latency = LatencyModel()
        self.throttle = Throttle()
        self.limits = Limits()
        self.transport = TransportState()
        self.connector = ConnectorStore()
        self.token_service = TokenServiceStore()
        self.teams_apps = TeamsApps()
        self.uploads: dict[str, UploadSession] = {}
        self.shared_files: dict[str, SharedFile] = {}
        # Set by the server: close every keep-alive connection except the given one.
        self.close_other_connections: Callable[[object], None] = lambda _keep: None

    def reset(self) -> None:
        """Back to the seed: empty mailboxes, log, faults, latency, throttle counters."""
        self.mail.clear()
        self.log.clear()
        self.faults.clear()
        self.latency.clear()
        self.throttle.reset()
        self.limits = Limits()
        self.transport.clear()
        self.connector.clear()
        self.token_service.clear()
        self.teams_apps.clear()
        self.uploads.clear()
        self.shared_files.clear()
        self.tokens.lifetime = 3600
        self.tokens.accepted_versions.clear()
        self.tokens.session_generations.clear()
        self.tenant = self.seed

    def set_group_members(self, group_id: str, users: tuple[str, ...]) -> bool:
        """Replace a group's direct user members (object ids); False if no such group.
        Lets a test remove an approver between a request and its decision."""
        group = self.tenant.group(group_id)
        if group is None:
            return False
        changed = replace(group, member_users=users)
        groups = tuple(changed if g.id == group.id else g for g in self.tenant.groups)
        self.tenant = replace(self.tenant, groups=groups)
        return True

    def set_mailbox_rights(
        self,
        mailbox_id: str,
        *,
        send_as: tuple[str, ...] | None = None,
        full_access: tuple[str, ...] | None = None,
        send_on_behalf: tuple[str, ...] | None = None,
    ) -> bool:
        """Replace a mailbox's ``send_as`` / ``full_access`` / ``send_on_behalf`` trustees
        (object ids); False if no such mailbox. Lets a test take a right away while a
        request waits. Exchange applies such changes with a delay; the emulator at once."""
        box = self.tenant.account(mailbox_id)
        if box is None or not box.has_mailbox:
            return False
        changed = replace(
            box,
            send_as=box.send_as if send_as is None else send_as,
            full_access=box.full_access if full_access is None else full_access,
            send_on_behalf=box.send_on_behalf if send_on_behalf is None else send_on_behalf,
        )
        self.tenant = self.tenant.with_account(changed)
        return True
