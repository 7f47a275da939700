"""A zip of per-recipient files for a bulk send: the CSV's ``files`` column names, for each
row, the files in the zip that row's email carries.

The zip is read defensively: at most ``MAX_MEMBERS`` entries, no encrypted ones, and a member
is never inflated past the size its entry declares nor past ``SESSION_MAXIMUM`` (a zip bomb
stops there). Names match exactly, or by the part after the last ``/`` when that is unique.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.attachments import SESSION_MAXIMUM
from bot.flow.attachments import BUNDLE_FIELD
from bot.i18n import _

__all__ = ["BUNDLE_FIELD", "Bundle", "extract", "index", "is_zip"]
MAX_MEMBERS = 5_000


@dataclass(frozen=True)
class Bundle:
    sizes: dict[str, int]  # member name → declared size
    by_base: dict[str, str]  # a unique base name → member name

    def find(self, name: str) -> str | None:
        if name in self.sizes:
            return name
        return self.by_base.get(name.rsplit("/", 1)[-1])


def is_zip(name: str) -> bool:
    return name.lower().endswith(".zip")


def index(data: bytes) -> Bundle | str:
    """What the zip holds, or why it cannot be used (in the user's words)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, ValueError):
        return _("it is not a zip file Mailroom can read")
    if len(infos) > MAX_MEMBERS:
        return _("it holds more than {count} files", count=MAX_MEMBERS)
    if any(i.flag_bits & 0x1 for i in infos):
        return _("it is password-protected")
    sizes = {i.filename: i.file_size for i in infos}
    bases: dict[str, list[str]] = {}
    for name in sizes:
        bases.setdefault(name.rsplit("/", 1)[-1], []).append(name)
    return Bundle(sizes, {b: names[0] for b, names in bases.items() if len(names) == 1})


def _extract(data: bytes, members: Iterable[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in members:
            info = archive.getinfo(member)
            limit = min(info.file_size, SESSION_MAXIMUM)
            with archive.open(info) as stream:
                content = stream.read(limit + 1)
            if len(content) > limit:
                raise ValueError(f"{member} inflates past its declared size")
            out[member] = content
    return out


async def extract(data: bytes, members: Iterable[str]) -> dict[str, bytes] | str:
    """The members' bytes (off the event loop: inflating is CPU work), or why not."""
    try:
        return await asyncio.to_thread(_extract, data, tuple(members))
    except (zipfile.BadZipFile, ValueError, KeyError, RuntimeError) as exc:
        return _("the zip could not be read ({reason})", reason=type(exc).__name__)
