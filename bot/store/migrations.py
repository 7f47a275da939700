"""Versioned schema migrations, one list for both dialects.

Each migration is a list of statements. A plain string is shared: ``{TS}``, ``{JSON}``,
``{BOOL}`` and ``{AUTO_ID}`` in it become the dialect's column types (``Dialect.types``).
Where the dialects really differ, a ``PerDialect`` statement says it once for each.
Applied versions are recorded in ``schema_version``; ``migrate`` applies the missing ones in
order, each in its own transaction together with its ``schema_version`` row, so running it
again (or from two replicas at once) changes nothing. Never edit a released migration:
append a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.errors import StoreError
from bot.store.driver import Dialect, Driver


@dataclass(frozen=True)
class PerDialect:
    sqlite: str
    postgresql: str

    def for_dialect(self, dialect: Dialect) -> str:
        return self.sqlite if dialect.name == "sqlite" else self.postgresql


Statement = str | PerDialect


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[Statement, ...]

    def sql(self, dialect: Dialect) -> list[str]:
        out = []
        for statement in self.statements:
            if isinstance(statement, PerDialect):
                out.append(statement.for_dialect(dialect))
            else:
                out.append(statement.format(**dialect.types))
        return out


_CORE = Migration(
    1,
    "send requests, outbox, approvals, conversation references, pacing, activities",
    (
        """CREATE TABLE send_requests (
            id TEXT PRIMARY KEY,
            requester_oid TEXT NOT NULL,
            requester_upn TEXT,
            tenant_id TEXT NOT NULL,
            sender_address TEXT NOT NULL,
            sender_kind TEXT NOT NULL,
            mode TEXT NOT NULL,
            template TEXT NOT NULL,
            template_values {JSON},
            recipients {JSON} NOT NULL,
            subject TEXT NOT NULL,
            body_html TEXT,
            body_text TEXT,
            content_hash TEXT NOT NULL,
            is_bulk {BOOL} NOT NULL,
            message_count INTEGER NOT NULL,
            state TEXT NOT NULL,
            version INTEGER NOT NULL,
            decision_reasons {JSON} NOT NULL,
            approval_required {BOOL} NOT NULL,
            decided_by TEXT,
            decided_at {TS},
            expires_at {TS},
            error_code TEXT,
            error_key TEXT,
            graph_request_id TEXT,
            created_at {TS} NOT NULL,
            updated_at {TS} NOT NULL,
            content_purged_at {TS}
        )""",
        "CREATE INDEX send_requests_requester ON send_requests (requester_oid, created_at)",
        "CREATE INDEX send_requests_state ON send_requests (state, expires_at)",
        """CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL REFERENCES send_requests (id),
            seq INTEGER NOT NULL,
            mailroom_id TEXT NOT NULL UNIQUE,
            sender_address TEXT NOT NULL,
            recipients {JSON} NOT NULL,
            template_values {JSON},
            subject TEXT NOT NULL,
            body_html TEXT,
            body_text TEXT,
            content_hash TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            due_at {TS},
            lease_owner TEXT,
            claims INTEGER NOT NULL DEFAULT 0,
            lease_expires_at {TS},
            reclaimed_from TEXT,
            graph_request_id TEXT,
            error_code TEXT,
            error_key TEXT,
            created_at {TS} NOT NULL,
            updated_at {TS} NOT NULL,
            sent_at {TS},
            content_purged_at {TS},
            UNIQUE (request_id, seq)
        )""",
        "CREATE INDEX outbox_due ON outbox (state, due_at)",
        "CREATE INDEX outbox_in_flight ON outbox (sender_address, state)",
        """CREATE TABLE approvals (
            request_id TEXT PRIMARY KEY REFERENCES send_requests (id),
            approver_oid TEXT NOT NULL,
            decision TEXT NOT NULL,
            comment TEXT NOT NULL,
            decided_at {TS} NOT NULL
        )""",
        """CREATE TABLE conversation_refs (
            user_oid TEXT PRIMARY KEY,
            reference {JSON} NOT NULL,
            updated_at {TS} NOT NULL,
            blocked_code TEXT,
            blocked_at {TS}
        )""",
        """CREATE TABLE cards (
            request_id TEXT NOT NULL REFERENCES send_requests (id),
            activity_id TEXT NOT NULL,
            role TEXT NOT NULL,
            user_oid TEXT,
            reference {JSON} NOT NULL,
            created_at {TS} NOT NULL,
            last_updated_at {TS},
            blocked_code TEXT,
            blocked_at {TS},
            PRIMARY KEY (request_id, activity_id)
        )""",
        """CREATE TABLE mailbox_pacing (
            mailbox TEXT PRIMARY KEY,
            next_allowed_at {TS} NOT NULL,
            blocked_until {TS},
            updated_at {TS} NOT NULL
        )""",
        """CREATE TABLE processed_activities (
            activity_id TEXT PRIMARY KEY,
            seen_at {TS} NOT NULL
        )""",
        "CREATE INDEX processed_activities_seen ON processed_activities (seen_at)",
    ),
)

_AUDIT = Migration(
    2,
    "append-only audit log",
    (
        """CREATE TABLE audit_log (
            id {AUTO_ID},
            at {TS} NOT NULL,
            outcome TEXT NOT NULL,
            request_id TEXT,
            mailroom_id TEXT,
            requester_oid TEXT NOT NULL,
            requester_upn TEXT,
            sender_address TEXT NOT NULL,
            sender_kind TEXT NOT NULL,
            mode TEXT NOT NULL,
            recipients {JSON} NOT NULL,
            template TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            decision_reasons {JSON} NOT NULL,
            graph_request_ids {JSON} NOT NULL,
            error_code TEXT
        )""",
        "CREATE INDEX audit_log_at ON audit_log (at)",
        "CREATE INDEX audit_log_sender ON audit_log (sender_address, at)",
        "CREATE INDEX audit_log_requester ON audit_log (requester_oid, at)",
        # The database itself refuses to change or delete an audit row.
        PerDialect(
            sqlite="""CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
            postgresql="""CREATE FUNCTION audit_log_append_only() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
        ),
        PerDialect(
            sqlite="""CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
            postgresql="""CREATE TRIGGER audit_log_append_only
                BEFORE UPDATE OR DELETE ON audit_log
                FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
        ),
    ),
)

_COMPOSE = Migration(
    3,
    "compose drafts: a user's choices between the sender card and the preview",
    (
        """CREATE TABLE compose_drafts (
            id TEXT PRIMARY KEY,
            user_oid TEXT NOT NULL,
            tenant_id TEXT NOT NULL,
            sender_address TEXT NOT NULL,
            template TEXT,
            fields {JSON} NOT NULL,
            request_id TEXT,
            version INTEGER NOT NULL,
            created_at {TS} NOT NULL,
            updated_at {TS} NOT NULL
        )""",
        "CREATE INDEX compose_drafts_user ON compose_drafts (user_oid, updated_at)",
    ),
)

_REQUEST_QUERIES = Migration(
    4,
    "send request lookups: pending requests by sender, any requester's by time",
    (
        # /approvals: pending requests of the senders a user approves, newest first.
        "CREATE INDEX send_requests_state_sender"
        " ON send_requests (state, sender_address, created_at, id)",
        # /history and its next pages: keyset (created_at, id) within one requester.
        "CREATE INDEX send_requests_requester_page"
        " ON send_requests (requester_oid, created_at, id)",
        "DROP INDEX send_requests_requester",
    ),
)

_DRAFTS = Migration(
    5,
    "outbox: the draft each message is sent from, and how long its outcome has been uncertain",
    (
        "ALTER TABLE outbox ADD COLUMN draft_id TEXT",
        "ALTER TABLE outbox ADD COLUMN uncertain_since {TS}",
        PerDialect(
            sqlite="ALTER TABLE outbox ADD COLUMN send_uncertain INTEGER NOT NULL DEFAULT 0",
            postgresql=(
                "ALTER TABLE outbox ADD COLUMN send_uncertain BOOLEAN NOT NULL DEFAULT FALSE"
            ),
        ),
    ),
)

_TOKEN_CACHES = Migration(
    6,
    "delegated users' token caches, encrypted by Mailroom before they are stored",
    (
        """CREATE TABLE user_token_caches (
            user_oid TEXT PRIMARY KEY,
            sealed TEXT NOT NULL,
            updated_at {TS} NOT NULL
        )""",
    ),
)

_OPEN_DRAFTS = Migration(
    9,
    "compose drafts: when a user discarded one, so /drafts lists only the unfinished",
    ("ALTER TABLE compose_drafts ADD COLUMN discarded_at {TS}",),
)

_RECIPIENT_QUOTA = Migration(
    8,
    "recipients handed to Exchange per sender mailbox (the rolling 24-hour limit)",
    (
        """CREATE TABLE mailbox_recipients (
            job_id TEXT PRIMARY KEY,
            mailbox TEXT NOT NULL,
            recipients INTEGER NOT NULL,
            counted_at {TS} NOT NULL
        )""",
        "CREATE INDEX mailbox_recipients_window ON mailbox_recipients (mailbox, counted_at)",
    ),
)

_APPROVER_REACH = Migration(
    7,
    "approvals: how each approver was told (chat, installed, email); reminders sent",
    (
        """CREATE TABLE approver_reach (
            request_id TEXT NOT NULL REFERENCES send_requests (id),
            user_oid TEXT NOT NULL,
            channel TEXT NOT NULL,
            reached_at {TS} NOT NULL,
            PRIMARY KEY (request_id, user_oid)
        )""",
        # One reminder per request: the row is the claim (several replicas may look at once).
        """CREATE TABLE approval_reminders (
            request_id TEXT PRIMARY KEY REFERENCES send_requests (id),
            reminded_at {TS} NOT NULL
        )""",
    ),
)

_ATTACHMENTS = Migration(
    14,
    "attachments: each request's and message's file descriptions, and the files' bytes",
    (
        "ALTER TABLE send_requests ADD COLUMN attachments {JSON}",
        "ALTER TABLE outbox ADD COLUMN attachments {JSON}",
        # owner_id: a send request's id, or a compose draft's while the user is composing.
        # The bytes are base64 text: both dialects store it as they store bodies.
        """CREATE TABLE attachment_contents (
            owner_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            content TEXT NOT NULL,
            stored_at {TS} NOT NULL,
            PRIMARY KEY (owner_id, sha256)
        )""",
    ),
)

_SCHEDULE = Migration(
    13,
    "scheduled sends: a request's send-later time and zone, its messages' not-before time",
    (
        "ALTER TABLE send_requests ADD COLUMN send_at {TS}",
        "ALTER TABLE send_requests ADD COLUMN send_zone TEXT",
        "ALTER TABLE outbox ADD COLUMN not_before {TS}",
    ),
)

_REPLACEMENTS = Migration(
    15,
    "edited requests: the compose draft an edit opened, the request it replaces, its successor",
    (
        """CREATE TABLE request_replacements (
            draft_id TEXT PRIMARY KEY,
            old_request_id TEXT NOT NULL REFERENCES send_requests (id),
            new_request_id TEXT,
            replaced_at {TS}
        )""",
        "CREATE INDEX request_replacements_old ON request_replacements (old_request_id)",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    _CORE,
    _AUDIT,
    _COMPOSE,
    _REQUEST_QUERIES,
    _DRAFTS,
    _TOKEN_CACHES,
    _APPROVER_REACH,
    _RECIPIENT_QUOTA,
    _OPEN_DRAFTS,
    _SCHEDULE,
    _ATTACHMENTS,
    _REPLACEMENTS,
)

LATEST_VERSION = MIGRATIONS[-1].version

_BOOTSTRAP = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at {TS} NOT NULL
)"""


async def applied_versions(driver: Driver) -> set[int]:
    """The migrations recorded in the database (empty for an empty database)."""
    async with driver.transaction() as tx:
        if driver.dialect.migration_lock:
            await tx.execute(driver.dialect.migration_lock)
        await tx.execute(_BOOTSTRAP.format(**driver.dialect.types))
        rows = await tx.fetch_all("SELECT version FROM schema_version")
    return {int(row["version"]) for row in rows}


# Whether the bookkeeping table exists, asked of each database's own catalogue (read only).
_HAS_VERSION_TABLE = {
    "sqlite": "SELECT 1 AS found FROM sqlite_master WHERE name = 'schema_version'",
    "postgresql": "SELECT 1 AS found WHERE to_regclass('schema_version') IS NOT NULL",
}


async def existing_version(driver: Driver) -> int:
    """The highest applied migration, 0 for a database without Mailroom's schema; unlike
    ``current_version`` it creates nothing."""
    async with driver.reading() as tx:
        if await tx.fetch_one(_HAS_VERSION_TABLE[driver.dialect.name]) is None:
            return 0
        row = await tx.fetch_one("SELECT MAX(version) AS version FROM schema_version")
    return int(row["version"]) if row is not None and row["version"] is not None else 0


async def current_version(driver: Driver) -> int:
    """The highest applied migration, 0 for an empty database."""
    return max(await applied_versions(driver), default=0)


async def migrate(
    driver: Driver, now: datetime, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Apply every migration not recorded yet, in order — also one numbered below the highest
    recorded one, so none is skipped for its number; return the versions applied now."""
    applied_before = await applied_versions(driver)
    known = max(applied_before, default=0)
    latest = migrations[-1].version if migrations else 0
    if known > latest:
        raise StoreError(
            f"the database schema is at version {known}, newer than this Mailroom "
            f"knows ({latest}); upgrade Mailroom"
        )
    applied: list[int] = []
    for migration in migrations:
        if migration.version in applied_before:
            continue
        async with driver.transaction() as tx:
            if driver.dialect.migration_lock:
                await tx.execute(driver.dialect.migration_lock)
            done = await tx.fetch_one(
                "SELECT version FROM schema_version WHERE version = ?", (migration.version,)
            )
            if done is not None:  # another replica got there first
                continue
            for sql in migration.sql(driver.dialect):
                await tx.execute(sql)
            await tx.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, now),
            )
        applied.append(migration.version)
    return applied
