"""A compose draft → the line /drafts and /send show for it (``cards/drafts.py``)."""

from __future__ import annotations

from datetime import tzinfo

from bot.flow.send_flow import BULK_FIELD
from bot.i18n import _, n_
from bot.rendering import TemplateCatalog
from bot.store import ComposeDraft
from bot.teams.times import format_time
from cards.views import DraftSummary


def draft_summary(
    draft: ComposeDraft, catalog: TemplateCatalog, zone: tzinfo | None = None
) -> DraftSummary:
    template = draft.template or ""
    title = catalog.get(template).title if template in catalog else template
    fields = draft.fields
    rows = max(len([r for r in fields.get(BULK_FIELD, "").splitlines() if r.strip()]) - 1, 0)
    people = ", ".join(v for k in ("to", "cc", "bcc") if (v := fields.get(k, "").strip()))
    recipients = people or (
        n_("a bulk CSV of {count} row", "a bulk CSV of {count} rows", rows)
        if rows
        else _("nobody yet")
    )
    return DraftSummary(
        draft_id=draft.id,
        version=draft.version,
        template=title or _("(no template)"),
        sender=draft.sender_address,
        recipients=recipients,
        when=format_time(draft.updated_at, zone),
        previewed=draft.request_id is not None,
    )
