"""Run the emulator from tests and scripts: a background thread with its own event loop
(so it serves sync tests, async tests on any loop and subprocesses alike), and a small sync
client for the ``/_emulator`` control endpoints.

    with start_emulator_thread() as emu:
        emu.control.mailbox("support@contoso.com", "sentitems")
"""

from __future__ import annotations

import asyncio
import base64
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from emulator.seed import DEMO_SEED, AppRegistration, Tenant
from emulator.server import EmulatorServer
from emulator.tls import CONTROL_SNI

Json = dict[str, Any]


class EmulatorControl:
    """Sync HTTPS client for ``/_emulator``; every method raises ``httpx.HTTPStatusError`` on a
    non-2xx answer."""

    def __init__(self, base_url: str, ca_path: Path, timeout: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url,
            verify=ssl.create_default_context(cafile=str(ca_path)),
            timeout=timeout,
        )

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._client.request(
            method, f"/_emulator{path}", extensions={"sni_hostname": CONTROL_SNI}, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def health(self) -> Json:
        result: Json = self._call("GET", "/health")
        return result

    def reset(self) -> None:
        """Back to the seed: mailboxes, log, faults, latency, throttle counters and settings,
        limits, token lifetime, connector activities."""
        self._call("POST", "/reset")

    def mailbox(self, address: str, folder: str) -> list[Json]:
        """Messages in ``inbox``, ``sentitems`` or ``drafts`` (all properties, incl. headers)."""
        result: list[Json] = self._call("GET", f"/mailboxes/{address}/{folder}")
        return result

    def delete_message(self, address: str, message_id: str, *, hard: bool = False) -> None:
        """What a user does in Outlook: the item goes to Deleted Items (``hard``: for good)."""
        self._call(
            "POST", f"/mailboxes/{address}/messages/{message_id}/delete", json={"hard": hard}
        )

    def set_move_delay(self, seconds: float) -> None:
        """Seconds from Graph's 202 until transport moves the message out of Drafts."""
        self._call("PUT", "/transport", json={"move_delay": seconds})

    def transport(self, wait: float = 0.0) -> Json:
        """``move_delay``, ``pending`` and the ``record`` of every accepted message (when
        it was accepted, taken, delivered, and how long the message rate held it back);
        with ``wait``, once nothing is pending (or ``wait`` seconds passed)."""
        result: Json = self._call("GET", "/transport", params={"wait": wait})
        return result

    def external_deliveries(self) -> list[Json]:
        result: list[Json] = self._call("GET", "/external")
        return result

    def request_log(self) -> list[Json]:
        result: list[Json] = self._call("GET", "/log")
        return result

    def clear_log(self) -> None:
        self._call("DELETE", "/log")

    def add_fault(  # noqa: PLR0917 - positional order is the shared contract
        self,
        method: str,
        path_pattern: str,
        kind: str,
        count: int = 1,
        status: int | None = None,
        code: str | None = None,
        delay: float | None = None,
        retry_after: float | None = None,
        message: str | None = None,
    ) -> Json:
        payload = {
            "method": method,
            "path_pattern": path_pattern,
            "kind": kind,
            "count": count,
            "status": status,
            "code": code,
            "delay": delay,
            "retry_after": retry_after,
            "message": message,
        }
        result: Json = self._call(
            "POST", "/faults", json={k: v for k, v in payload.items() if v is not None}
        )
        return result

    def faults(self) -> list[Json]:
        """The armed faults, with the uses each has left (``remaining``)."""
        result: list[Json] = self._call("GET", "/faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_message_rate(self, per_minute: float) -> None:
        self._call("PUT", "/throttle", json={"messages_per_minute": per_minute})

    def set_throttle(self, **settings: float) -> Json:
        """``concurrency_limit``, ``messages_per_minute``, ``request_budget``,
        ``concurrency_retry_after``."""
        result: Json = self._call("PUT", "/throttle", json=settings)
        return result

    def set_latency(
        self, fixed_ms: float, jitter_ms: float = 0, path_pattern: str | None = None
    ) -> None:
        self._call(
            "PUT",
            "/latency",
            json={"fixed_ms": fixed_ms, "jitter_ms": jitter_ms, "path_pattern": path_pattern},
        )

    def share_file(self, user: str, name: str, data: bytes) -> Json:
        """The user sends a file to the bot in personal chat: the attachment Teams puts on the
        message activity (``application/vnd.microsoft.teams.file.download.info``)."""
        payload = {"user": user, "name": name, "content_base64": base64.b64encode(data).decode()}
        result: Json = self._call("POST", "/teams/files", json=payload)
        return result

    def set_limits(self, **limits: int) -> Json:
        """``max_recipients``, ``max_message_bytes``, ``exchange_page_size``,
        ``upload_session_seconds``, ``download_url_seconds``."""
        result: Json = self._call("PUT", "/limits", json=limits)
        return result

    def set_token_lifetime(self, seconds: int) -> None:
        self._call("PUT", "/tokens/lifetime", json={"seconds": seconds})

    def mint_user_token(
        self,
        user_upn_or_oid: str,
        audience: str | None = None,
        *,
        client: str | None = None,
        connection: bool = False,
    ) -> str:
        """The Teams SSO token a Teams client (``client``, default desktop) would hand the bot
        for this user, refused (400) as Entra would when the bot's single sign-on settings
        don't allow it; ``connection=True``: the token the bot's OAuth connection hands over;
        ``audience``: a raw token for any audience, unchecked."""
        payload: Json = {"user": user_upn_or_oid}
        if audience is not None:
            payload["audience"] = audience
        if client is not None:
            payload["client"] = client
        if connection:
            payload["connection"] = True
        result: Json = self._call("POST", "/tokens/user", json=payload)
        return str(result["token"])

    def complete_sign_in(self, user_upn_or_oid: str) -> str:
        """The user signs in through the token service's sign-in link: the magic code the
        page shows, which Teams sends back in the action's ``state``."""
        result: Json = self._call("POST", "/tokenservice/signin", json={"user": user_upn_or_oid})
        return str(result["code"])

    def token_service_tokens(self) -> list[Json]:
        """What the token service holds: ``user_id``, ``connection``, ``expires``."""
        result: list[Json] = self._call("GET", "/tokenservice/tokens")
        return result

    def revoke_sessions(self, user_upn_or_oid: str) -> None:
        """An admin revokes the user's sessions: their refresh tokens are refused from now."""
        self._call("POST", f"/users/{user_upn_or_oid}/revoke-sessions")

    def clear_token_service(self) -> None:
        """The token service forgets every user's token (as if each had expired)."""
        self._call("DELETE", "/tokenservice/tokens")

    def connector_activities(self, conversation_id: str | None = None) -> list[Json]:
        params = {"conversation_id": conversation_id} if conversation_id else None
        result: list[Json] = self._call("GET", "/connector/activities", params=params)
        return result

    def teams_apps(
        self, *, install_blocked: bool | None = None, install_for: Sequence[str] = ()
    ) -> Json:
        """Mailroom's Teams catalog id and the users it is installed for; ``install_blocked``
        sets whether the tenant's app permission policy blocks installing it; ``install_for``
        installs it for those object ids, as an admin's app setup policy does."""
        change: dict[str, object] = {}
        if install_blocked is not None:
            change["install_blocked"] = install_blocked
        if install_for:
            change["install_for"] = list(install_for)
        if not change:
            result: Json = self._call("GET", "/teams/apps")
        else:
            result = self._call("PUT", "/teams/apps", json=change)
        return result

    def set_connector_auth(self, required: bool) -> None:
        self._call("PUT", "/connector/auth", json={"required": required})

    def set_connector_limits(self, **settings: int | bool) -> Json:
        """Teams' per-app limit (``per_app_per_second``) or ``enabled``; reset() restores."""
        result: Json = self._call("PUT", "/connector/limits", json=settings)
        return result

    def mint_channel_token(
        self, service_url: str | None = None, audience: str | None = None
    ) -> str:
        """The token the Bot Framework channel sends with an activity to the bot (audience
        defaults to the bot app's client id, ``service_url`` to the connector's)."""
        payload = {"service_url": service_url, "audience": audience}
        result: Json = self._call(
            "POST", "/connector/token", json={k: v for k, v in payload.items() if v}
        )
        return str(result["token"])

    def set_token_version(self, client_id: str, version: str) -> None:
        """The access token version (``1.0`` or ``2.0``) the app accepts as a resource, as
        an admin sets it in the app's manifest; reset() goes back to 1.0."""
        self._call("PUT", f"/apps/{client_id}/token-version", json={"version": version})

    def set_group_members(self, group_id: str, users: list[str]) -> None:
        """Replace the group's direct user members (UPNs or ids); reset() restores the seed."""
        self._call("PUT", f"/groups/{group_id}/members", json={"users": users})

    def set_mailbox_rights(
        self,
        address: str,
        *,
        send_as: list[str] | None = None,
        full_access: list[str] | None = None,
        send_on_behalf: list[str] | None = None,
    ) -> None:
        """Replace the given trustee lists of a mailbox (UPNs, ids, or mail-enabled group
        names or addresses); lists left out stay as they are; reset() restores the seed."""
        rights = {"send_as": send_as, "full_access": full_access, "send_on_behalf": send_on_behalf}
        payload = {k: v for k, v in rights.items() if v is not None}
        self._call("PUT", f"/mailboxes/{address}/rights", json=payload)

    def tenant(self) -> Json:
        result: Json = self._call("GET", "/tenant")
        return result


@dataclass
class RunningEmulator:
    base_url: str
    ca_path: Path
    tenant_id: str
    domain: str
    control: EmulatorControl
    tenant: Tenant
    state_dir: Path
    _stop: Any = field(repr=False, default=None)

    @property
    def authority(self) -> str:
        """What msal takes as ``authority=`` (with ``instance_discovery=False``)."""
        return f"{self.base_url}/{self.tenant_id}"

    @property
    def bot_app(self) -> AppRegistration:
        return self.tenant.bot_app

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator_thread(
    seed: Path | None = None,
    state_dir: Path | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
) -> RunningEmulator:
    """Start the emulator on a background thread and return once it listens."""
    owned_dir = state_dir is None
    folder = Path(tempfile.mkdtemp(prefix="mailroom-emulator-")) if state_dir is None else state_dir
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            box["server"] = loop.run_until_complete(
                EmulatorServer.start(seed=seed, state_dir=folder, host=host, port=port)
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread, re-raised there
            box["error"] = exc
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(box["server"].stop())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=run, name="mailroom-emulator", daemon=True)
    thread.start()
    ready.wait()
    if "error" in box:
        thread.join()
        raise box["error"]
    server: EmulatorServer = box["server"]
    control = EmulatorControl(server.base_url, server.tls.ca_path)

    def stop() -> None:
        control.close()
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if owned_dir:
            shutil.rmtree(folder, ignore_errors=True)

    return RunningEmulator(
        base_url=server.base_url,
        ca_path=server.tls.ca_path,
        tenant_id=server.state.tenant.id,
        domain=server.state.tenant.domain,
        control=control,
        tenant=server.state.tenant,
        state_dir=folder,
        _stop=stop,
    )


@contextmanager
def running_emulator(
    seed: Path | None = None, state_dir: Path | None = None, port: int = 0
) -> Iterator[RunningEmulator]:
    emu = start_emulator_thread(seed=seed or DEMO_SEED, state_dir=state_dir, port=port)
    try:
        yield emu
    finally:
        emu.stop()
