"""What the doctor tests share: a tenant built from the requirements statement minus some
steps, and the user tokens a Teams stand-in (the emulator) hands out."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import httpx

from bot.errors import TokenAcquisitionError
from emulator.seed import DEMO_SEED
from emulator.testing import EmulatorControl

BOT_APP = 'requirements = "mailroom"\n'
PERSON = "adele.vance@contoso.com"


def seed_without(folder: Path, skipped: Collection[str]) -> Path:
    """The demo seed whose Mailroom app an admin set up skipping ``skipped`` (ids)."""
    text = DEMO_SEED.read_text(encoding="utf-8")
    assert text.count(BOT_APP) == 1
    listed = ", ".join(f'"{s}"' for s in sorted(skipped))
    path = folder / "seed.toml"
    path.write_text(text.replace(BOT_APP, f"{BOT_APP}skipped_requirements = [{listed}]\n"))
    return path


class EmulatorUserTokens:
    """A signed-in user's tokens as the emulator's Teams stand-in gives them."""

    def __init__(self, control: EmulatorControl, user: str = PERSON) -> None:
        self._control = control
        self._user = user

    async def connection_token(self) -> str | None:
        return self._mint(connection=True)

    async def teams_token(self, teams_client_id: str) -> str | None:
        return self._mint(client=teams_client_id)

    def _mint(self, **how: str | bool) -> str:
        try:
            return self._control.mint_user_token(self._user, **how)  # type: ignore[arg-type]
        except httpx.HTTPStatusError as error:
            body = error.response.json()
            raise TokenAcquisitionError(
                str(body.get("error")), str(body.get("error_description"))
            ) from error
