"""The files of an email as the compose and preview cards list them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.attachments import AttachmentMeta, human_size
from bot.flow.attachments import bundle_of, manifest
from bot.i18n import _
from cards.views import FileView


def file_views(files: Sequence[AttachmentMeta]) -> tuple[FileView, ...]:
    return tuple(FileView(f.name, human_size(f.size), f.sha256) for f in files)


def compose_files(fields: Mapping[str, str]) -> tuple[FileView, ...]:
    """The draft's files, then the zip of a bulk send's per-row files."""
    shown = file_views(manifest(fields))
    bundle = bundle_of(fields)
    if bundle is None:
        return shown
    name = _("{name} (each CSV row's files, named in its files column)", name=bundle.name)
    return (*shown, FileView(name, human_size(bundle.size), bundle.sha256))
