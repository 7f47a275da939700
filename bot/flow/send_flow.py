"""The guided send, step by step, with nothing taken from a card on trust.

Each step loads the state from the store, checks that it belongs to the user and is at the
version the card showed, re-takes the permission decision, validates the inputs, and
answers with a typed result the Teams layer turns into a card:

    senders → start(sender) → choose_template → preview(inputs) → send | request approval
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from mimetypes import guess_type as _guess

from bot.domain import recipient_quota as quota
from bot.domain.attachments import (
    MB,
    SESSION_MAXIMUM,
    AttachmentFile,
    describe,
    human_size,
    size_problem,
)
from bot.domain.explanations import Explanation, explain, explain_all
from bot.domain.permissions import Decision, Outcome, RequestFacts, UserFacts
from bot.domain.send_request import (
    OutgoingMessage,
    Recipients,
    RenderedContent,
    SendMode,
    SendRequest,
    SendState,
    new_draft,
)
from bot.domain.send_request import SenderKind as StoredKind
from bot.domain.senders import SenderConfig, SenderKind
from bot.errors import (
    ConsentRequired,
    FieldError,
    NotFound,
    TemplateRenderError,
    TokenAcquisitionError,
    ValuesInvalid,
    VersionConflict,
)
from bot.flow import attachments as files
from bot.flow import bundles, privacy
from bot.flow.facts import FactsService
from bot.flow.recipients import FILES_COLUMN, BulkSheet, parse_addresses, parse_bulk_csv
from bot.graph.message import request_bytes_for, request_size_problem
from bot.i18n import _, format_number
from bot.rendering import RenderSender, TemplateCatalog
from bot.store import ComposeDraft, Store

logger = logging.getLogger(__name__)

VAR_PREFIX = "var_"
TIME_SUFFIX = "__time"
BULK_FIELD = privacy.BULK_FIELD
IMPORTANCE = ("low", "normal", "high")
CANCELLABLE = frozenset(
    {SendState.DRAFT, SendState.PENDING_APPROVAL, SendState.APPROVED, SendState.QUEUED}
)


@dataclass(frozen=True)
class Later:
    """ "Send later": the moment (UTC) and the IANA zone the user picked it in."""

    at: datetime
    zone: str | None = None


@dataclass(frozen=True)
class SenderChoice:
    sender: SenderConfig
    decision: Decision
    from_line: str


@dataclass(frozen=True)
class Refused:
    """The step is refused; ``explanation`` says why and how to fix it."""

    explanation: Explanation
    others: tuple[str, ...] = ()
    request_id: str | None = None


@dataclass(frozen=True)
class Stale:
    """The card was out of date; ``request`` / ``draft`` is the current state to show."""

    request: SendRequest | None = None
    draft: ComposeDraft | None = None


@dataclass(frozen=True)
class Compose:
    draft: ComposeDraft
    sender: SenderConfig
    from_line: str
    templates: tuple[str, ...]
    errors: dict[str, str] = field(default_factory=dict)  # input id → problem
    general: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preview:
    request: SendRequest
    decision: Decision
    sender: SenderConfig
    from_line: str
    footer_text: str | None
    row: int = 1
    """Which of a bulk request's messages is shown (1: the first)."""
    shown: OutgoingMessage | None = None
    """That row's message, for a bulk request (a single send shows the request itself)."""
    schedule_error: str | None = None
    """Why the "Send later" time just picked cannot be used (shown on the card)."""
    row_files: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For a bulk send with files: each recipient and the names of their email's files."""


@dataclass(frozen=True)
class NotCancelled:
    """A cancel that came too late (or twice): ``request`` is already past being stopped,
    and nothing was changed."""

    request: SendRequest


Step = Compose | Preview | Refused | Stale


@dataclass(frozen=True)
class RowFiles:
    """Each bulk row's own files, in message order, and the rows' CSV line numbers."""

    files: tuple[tuple[AttachmentFile, ...], ...]
    lines: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.files)

    def __getitem__(self, number: int) -> tuple[AttachmentFile, ...]:
        return self.files[number]


@dataclass(frozen=True)
class Redecided:
    user: UserFacts
    sender: SenderConfig
    decision: Decision

    @property
    def from_line(self) -> str:
        return from_line(self.sender, self.user)

    def preview(self, request: SendRequest) -> Preview:
        return Preview(request, self.decision, self.sender, self.from_line, self.sender.footer_text)


def from_line(sender: SenderConfig, user: UserFacts) -> str:
    """What recipients see in From, as Outlook shows it (in the reader's language: Outlook
    writes "im Auftrag von" for German)."""
    mailbox = f"{sender.display_name} <{sender.address}>"
    if sender.kind is SenderKind.SEND_ON_BEHALF:
        return _("{user} on behalf of {mailbox}", user=user.display_name, mailbox=mailbox)
    return mailbox


def _refused(key: str, **params: str) -> Refused:
    return Refused(explain(key, **params))


_Copied = tuple[ComposeDraft, dict[str, str], SenderConfig, UserFacts]
"""A new compose draft made from a request: the draft, its values, sender and user."""


class SendFlow:
    def __init__(
        self,
        store: Store,
        facts: FactsService,
        catalog: TemplateCatalog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        recipients_per_day: int = quota.DEFAULT_RECIPIENTS_PER_DAY,
        max_message_bytes: int = 35 * MB,
    ) -> None:
        self._store = store
        self._facts = facts
        self._catalog = catalog
        self._policy = facts.policy
        self._clock = clock
        self._recipients_per_day = recipients_per_day
        self._max_message_bytes = max_message_bytes

    # --- senders -------------------------------------------------------------------------

    async def senders(self, user_oid: str) -> list[SenderChoice]:
        user = await self._facts.user(user_oid)
        candidates = [self._policy.self_sender(user.upn, user.display_name)]
        # A configured sender that is the user's own mailbox (a manager whose assistants
        # send on their behalf) is, for that user, simply "you": listed once, as self.
        own = {user.upn.lower(), (user.mail or "").lower()}
        candidates += [s for s in self._policy.senders if s.address not in own]
        if self._policy.discover:
            configured = {s.address for s in candidates}
            for address in sorted(await self._facts.discoverable(user)):
                if address not in configured:
                    candidates.append(_discovered(address))
        choices = []
        for sender in candidates:
            _facts, decision = await self._facts.decide(user_oid, sender)
            choices.append(SenderChoice(sender, decision, from_line(sender, user)))
        return choices

    async def resolve(
        self, user: UserFacts, address: str, *, fresh: bool = False
    ) -> SenderConfig | None:
        """The sender ``address`` names for this user, or None: never trusted from a card."""
        wanted = address.strip().lower()
        if wanted in (user.upn.lower(), (user.mail or "").lower(), "me", "self"):
            return self._policy.self_sender(user.upn, user.display_name)
        configured = self._policy.sender(wanted)
        if configured is not None:
            return configured
        if (
            self._policy.discover
            and "@" in wanted
            and wanted in await self._facts.discoverable(user, fresh=fresh)
        ):
            return _discovered(wanted)
        return None

    async def why(self, user_oid: str, address: str) -> tuple[SenderConfig | None, Decision | None]:
        user = await self._facts.user(user_oid)
        sender = await self.resolve(user, address)
        if sender is None:
            return None, None
        _facts, decision = await self._facts.decide(user_oid, sender)
        return sender, decision

    # --- compose -------------------------------------------------------------------------

    async def start(
        self,
        user_oid: str,
        tenant_id: str,
        address: str,
        template: str | None = None,
        inputs: Mapping[str, str] | None = None,
    ) -> Compose | Refused:
        """A new draft for ``address``. ``template`` and ``inputs`` come from the one-line
        fast path: a template the sender can't use, or a value for no variable of it, is
        never swapped or dropped in silence — the card comes back saying what was wrong
        (``Compose.general``), with what was typed kept."""
        user = await self._facts.user(user_oid)
        sender = await self.resolve(user, address)
        if sender is None:
            return _refused("unknown_sender", mailbox=address[:100], user=user.upn)
        _facts, decision = await self._facts.decide(user_oid, sender)
        if decision.outcome is Outcome.DENIED:
            return self._denied(decision)
        templates = self._templates_for(sender)
        problems: list[str] = []
        chosen = template if template in templates else None
        if template and chosen is None:
            problems.append(self._template_problem(template, sender, templates))
        elif chosen is None and len(templates) == 1:
            chosen = templates[0]
        draft = await self._store.create_compose(
            user_oid=user_oid, tenant_id=tenant_id, sender_address=sender.address, template=chosen
        )
        typed = {k: v for k, v in (inputs or {}).items() if v}
        if chosen is not None and typed:
            variables = self._catalog.get(chosen).variable_names
            problems += [_unknown_variable(k[len(VAR_PREFIX) :], chosen, variables)
                         for k in typed if k.startswith(VAR_PREFIX)
                         and k[len(VAR_PREFIX) :] not in variables]  # fmt: skip
            typed = _kept_inputs(typed, variables)
        if typed:
            draft = await self._store.update_compose(draft.id, draft.version, fields=typed)
        return Compose(draft, sender, from_line(sender, user), templates, general=tuple(problems))

    def _template_problem(self, name: str, sender: SenderConfig, allowed: tuple[str, ...]) -> str:
        shown = name[:60]
        if name in self._catalog:
            problem = _("The template “{name}” can't be sent from {mailbox}.", name=shown,
                        mailbox=sender.address)  # fmt: skip
        else:
            problem = _("There is no template called “{name}”.", name=shown)
        close = difflib.get_close_matches(name, allowed or self._catalog.names(), n=1)
        if close:
            problem += " " + _("Did you mean {suggestion}?", suggestion=close[0])
        if allowed:
            allowed_list = _(
                "Templates for {mailbox}: {templates}.",
                mailbox=sender.address,
                templates=", ".join(allowed),
            )
            return f"{problem} {allowed_list}"
        return problem + " " + _("No template can be sent from {mailbox}.", mailbox=sender.address)

    async def choose_template(
        self, user_oid: str, draft_id: str, version: int, template: str
    ) -> Step:
        loaded = await self._load_draft(user_oid, draft_id, version)
        if not isinstance(loaded, tuple):
            return loaded
        draft, sender, user = loaded
        templates = self._templates_for(sender)
        if template not in templates:
            return Compose(
                draft, sender, from_line(sender, user), templates,
                errors={"template": _("Pick one of the templates in the list.")},
            )  # fmt: skip
        updated = await self._store.update_compose(draft.id, draft.version, template=template)
        return Compose(updated, sender, from_line(sender, user), templates)

    async def preview(
        self,
        user_oid: str,
        draft_id: str,
        version: int,
        inputs: Mapping[str, str],
        zone: tzinfo | None = None,
    ) -> Step:
        """``zone``: the user's time zone; a date and time typed without an offset is a
        wall-clock time there, and the email names the zone."""
        loaded = await self._load_draft(user_oid, draft_id, version)
        if not isinstance(loaded, tuple):
            return loaded
        draft, sender, user = loaded
        templates = self._templates_for(sender)
        if draft.template is None or draft.template not in templates:
            return Compose(draft, sender, from_line(sender, user), templates,
                           errors={"template": _("Pick a template first.")})  # fmt: skip
        template = draft.template
        fields = _kept_inputs(inputs, self._catalog.get(template).variable_names)
        # The compose card may withhold very long values to stay under Teams' size limit;
        # it lists them in "kept": those keep their stored value when they come back empty.
        for name in inputs.get("kept", "").split(","):
            if name and not fields.get(name) and draft.fields.get(name):
                fields[name] = draft.fields[name]
        for kept in (files.ATTACH_FIELD, files.BUNDLE_FIELD):  # set by attach(), never a card
            if draft.fields.get(kept):
                fields[kept] = draft.fields[kept]
        # The fields are stored whatever comes next: with the new request when the preview
        # succeeds (one transaction for both), alone when a card shows why it cannot.
        messages, errors = self._build_messages(draft, sender, fields, zone)
        if not errors:
            messages, errors = await self._with_files(
                user_oid, messages, fields, sender.address,
                self._catalog.get(template).variable_names,
            )  # fmt: skip
        errors = errors or _too_large(messages, sender.address)
        if errors:
            draft = await self._store.update_compose(draft.id, draft.version, fields=fields)
            return Compose(
                draft, sender, from_line(sender, user), templates,
                errors=_by_field(errors), general=_general(errors),
            )  # fmt: skip
        everyone = tuple(a for m in messages for a in m.recipients.all())
        _facts, decision = await self._facts.decide(
            user_oid, sender, RequestFacts(everyone, template)
        )
        if decision.outcome is Outcome.DENIED:
            await self._store.update_compose(draft.id, draft.version, fields=fields)
            return self._denied(decision)
        request = new_draft(
            requester_oid=user_oid,
            requester_upn=user.upn,
            tenant_id=draft.tenant_id,
            sender_address=sender.address,
            sender_kind=StoredKind(sender.kind.value),
            mode=SendMode(sender.mode.value),
            template=template,
            values=dict(fields),
            messages=messages,
            now=self._clock(),
            decision_reasons=[f"{r.effect}:{r.key}" for r in decision.reasons],
            approval_required=decision.outcome is Outcome.NEEDS_APPROVAL,
        )
        request = await self._store.create_preview(
            draft.id, draft.version, fields, request, messages
        )
        shown = messages[0] if len(messages) > 1 else None  # a bulk preview opens at row 1
        row_files: tuple[tuple[str, tuple[str, ...]], ...] = ()
        if request.is_bulk and any(m.content.attachments for m in messages):
            row_files = tuple(
                (m.recipients.to[0], tuple(a.name for a in m.content.attachments)) for m in messages
            )
        return Preview(
            request, decision, sender, from_line(sender, user), sender.footer_text,
            row_files=row_files, shown=shown,
        )  # fmt: skip

    # --- files -------------------------------------------------------------------------

    async def attach(self, user_oid: str, file: AttachmentFile) -> Step:
        """A file the user sent in the chat goes onto their open compose draft (refused,
        with the reason on the card, when it would take the email past the size limit)."""
        draft = await self._store.latest_compose(user_oid)
        if draft is None or draft.request_id is not None:
            return _refused("no_compose_open")
        loaded = await self._load_draft(user_oid, draft.id, draft.version)
        if not isinstance(loaded, tuple):
            return loaded
        draft, sender, user = loaded
        templates = self._templates_for(sender)
        if bundles.is_zip(file.meta.name):
            return await self._attach_bundle(draft, sender, user, file)
        current = files.manifest(draft.fields)
        if any(f.sha256 == file.meta.sha256 and f.name == file.meta.name for f in current):
            return Compose(draft, sender, from_line(sender, user), templates)
        problem = size_problem((*current, file.meta), 0, self._max_message_bytes)
        if problem is not None:
            return Compose(draft, sender, from_line(sender, user), templates,
                           general=(f"{file.meta.name} was not attached: {problem}.",))  # fmt: skip
        await self._store.save_attachment_content(files.owner(user_oid), file.content)
        fields = files.with_manifest(draft.fields, (*current, file.meta))
        draft = await self._store.update_compose(draft.id, draft.version, fields=fields)
        return Compose(draft, sender, from_line(sender, user), templates)

    async def _attach_bundle(
        self, draft: ComposeDraft, sender: SenderConfig, user: UserFacts, file: AttachmentFile
    ) -> Step:
        """A zip is the bulk send's per-recipient files (the CSV's ``files`` column), not an
        attachment of its own; it replaces an earlier one."""
        templates = self._templates_for(sender)
        indexed = bundles.index(file.content)
        if isinstance(indexed, str):
            return Compose(draft, sender, from_line(sender, user), templates,
                           general=(f"{file.meta.name} was not taken: {indexed}.",))  # fmt: skip
        await self._store.save_attachment_content(files.owner(user.oid), file.content)
        fields = dict(draft.fields)
        fields[bundles.BUNDLE_FIELD] = files.with_manifest({}, (file.meta,))[files.ATTACH_FIELD]
        draft = await self._store.update_compose(draft.id, draft.version, fields=fields)
        return Compose(draft, sender, from_line(sender, user), templates)

    async def remove_attachment(
        self, user_oid: str, draft_id: str, version: int, sha256: str
    ) -> Step:
        loaded = await self._load_draft(user_oid, draft_id, version)
        if not isinstance(loaded, tuple):
            return loaded
        draft, sender, user = loaded
        current = files.manifest(draft.fields)
        kept = tuple(f for f in current if f.sha256 != sha256)
        bundle = files.bundle_of(draft.fields)
        if len(kept) != len(current) or (bundle is not None and bundle.sha256 == sha256):
            fields = files.with_manifest(draft.fields, kept)
            if bundle is not None and bundle.sha256 == sha256:
                fields.pop(bundles.BUNDLE_FIELD, None)
            draft = await self._store.update_compose(draft.id, draft.version, fields=fields)
        return Compose(draft, sender, from_line(sender, user), self._templates_for(sender))

    async def _with_files(
        self,
        user_oid: str,
        messages: list[OutgoingMessage],
        fields: Mapping[str, str],
        sender: str,
        variables: tuple[str, ...] = (),
    ) -> tuple[list[OutgoingMessage], list[FieldError]]:
        """Every message with the draft's files (descriptions in its content, bytes beside),
        or why not: a file gone from the store, or the size limit."""
        attached = files.manifest(fields)
        per_row = await self._row_files(user_oid, messages, fields, variables)
        if isinstance(per_row, list):
            return [], per_row
        if not attached and not per_row:
            return messages, []
        data = await files.load(self._store, files.owner(user_oid), attached)
        if not isinstance(data, dict):
            return [], [FieldError("", f"{data.name} is no longer stored; send it again")]
        out: list[OutgoingMessage] = []
        errors: list[FieldError] = []
        for number, message in enumerate(messages):
            own = per_row[number] if per_row else ()
            metas = (*attached, *(f.meta for f in own))
            r = message.recipients
            body = request_bytes_for(message.content.subject, message.content.html,
                                     (r.to, r.cc, r.bcc), sender)  # fmt: skip
            problem = size_problem(metas, body, self._max_message_bytes)
            if problem is not None:
                line = per_row.lines[number] if per_row else 0
                errors.append(_row_error(line, _("column files: {problem}", problem=problem)) if own
                              else FieldError("", problem))  # fmt: skip
                continue
            content = replace(message.content, attachments=metas)
            mine = {**data, **{f.meta.sha256: f.content for f in own}}
            out.append(replace(message, content=content, files=mine))
        return ([], errors) if errors else (out, [])

    async def _row_files(
        self,
        user_oid: str,
        messages: list[OutgoingMessage],
        fields: Mapping[str, str],
        variables: tuple[str, ...],
    ) -> RowFiles | list[FieldError]:
        """Each bulk row's own files from the zip (empty when the CSV names none), or every
        row naming a file the zip does not hold, row by row."""
        raw = fields.get(BULK_FIELD, "")
        if not raw.strip() or FILES_COLUMN not in raw.split("\n", 1)[0].lower():
            return RowFiles((), ())
        sheet, _problems = parse_bulk_csv(raw, variables, BULK_FIELD)
        rows = [row for row in sheet.rows if not row.problems]
        if len(rows) != len(messages) or not any(row.files for row in rows):
            return RowFiles((), ())
        bundle = files.bundle_of(fields)
        zipped = None
        if bundle is not None:
            zipped = await self._store.attachment_content(files.owner(user_oid), bundle.sha256)
        if bundle is None or zipped is None:
            first = next(row for row in rows if row.files)
            return [_row_error(first.line, _("column files: send the zip with the files in "
                                             "this chat first"))]  # fmt: skip
        indexed = bundles.index(zipped)
        if isinstance(indexed, str):
            return [FieldError(BULK_FIELD, f"{bundle.name}: {indexed}")]
        errors: list[FieldError] = []
        wanted: dict[int, list[tuple[str, str]]] = {}
        for number, row in enumerate(rows):
            for name in row.files:
                member = indexed.find(name)
                if member is None:
                    errors.append(_row_error(row.line, _("column files: {name} is not in {zip}",
                                                         name=name, zip=bundle.name)))  # fmt: skip
                elif indexed.sizes[member] > SESSION_MAXIMUM:
                    errors.append(_row_error(row.line, _("column files: {name} is over {size}",
                                      name=name, size=human_size(SESSION_MAXIMUM))))  # fmt: skip
                else:
                    wanted.setdefault(number, []).append((name, member))
        if errors:
            return errors
        members = {m for pairs in wanted.values() for _, m in pairs}
        contents = await bundles.extract(zipped, members)
        if isinstance(contents, str):
            return [FieldError(BULK_FIELD, f"{bundle.name}: {contents}")]
        picked = tuple(
            tuple(
                describe(n.rsplit("/", 1)[-1], guess_type(n), contents[m])
                for n, m in wanted.get(number, [])
            )
            for number in range(len(rows))
        )
        return RowFiles(picked, tuple(row.line for row in rows))

    # --- after the preview -----------------------------------------------------------------

    async def send(
        self,
        user_oid: str,
        request_id: str,
        version: int,
        *,
        warm_user_token: Callable[[], Awaitable[None]] | None = None,
        later: Later | None = None,
    ) -> Step | SendRequest:
        """Queue a previewed request; the outbox worker sends it — at ``later.at`` when
        given ("Send later"). Re-decides first (and the worker again, from fresh facts,
        when the time comes). For a delegated sender ``warm_user_token`` makes sure the
        worker can get the user's token later (msal's cache); a refusal there asks the user
        to sign in again."""
        loaded = await self._load_request(user_oid, request_id, version, SendState.DRAFT)
        if not isinstance(loaded, SendRequest):
            return loaded
        request = loaded
        again = await self.redecide(user_oid, request)
        if isinstance(again, Refused):
            return again
        if again.decision.outcome is Outcome.NEEDS_APPROVAL:
            return again.preview(request)
        over = await self._over_recipient_quota(request)
        if over is not None:
            return over
        if request.mode is SendMode.DELEGATED and warm_user_token is not None:
            try:
                await warm_user_token()
            except TokenAcquisitionError as error:
                missing = isinstance(error, ConsentRequired) and error.admin_consent_missing
                key = "admin_consent_missing" if missing else "consent_required"
                return Refused(explain(key), request_id=request.id)
        if later is None:
            return await self.move(request, SendState.QUEUED)
        try:
            return await self._store.transition(
                request.id,
                request.version,
                SendState.QUEUED,
                send_at=later.at,
                send_zone=later.zone,
            )
        except VersionConflict:
            return Stale(request=await self._store.get_request(request.id))

    async def previewed(self, user_oid: str, request_id: str, version: int) -> Step:
        """The preview of a request that is still a draft, decided again (to show it once
        more, e.g. with a problem of the "Send later" time on it)."""
        loaded = await self._load_request(user_oid, request_id, version, SendState.DRAFT)
        if not isinstance(loaded, SendRequest):
            return loaded
        again = await self.redecide(user_oid, loaded)
        return again if isinstance(again, Refused) else again.preview(loaded)

    async def preview_row(self, user_oid: str, request_id: str, version: int, row: int) -> Step:
        """A bulk preview at another row, held to the request's rows (a card's row number
        is only a wish). The decision is re-taken, as on every step."""
        loaded = await self._load_request(user_oid, request_id, version, SendState.DRAFT)
        if not isinstance(loaded, SendRequest):
            return loaded
        again = await self.redecide(user_oid, loaded)
        if isinstance(again, Refused):
            return again
        row = min(max(row, 1), loaded.message_count)
        shown = None
        if loaded.message_count > 1:
            jobs = await self._store.list_jobs(loaded.id)
            job = jobs[min(row, len(jobs)) - 1] if jobs else None
            if job is not None and job.content is not None:
                shown = OutgoingMessage(job.recipients, job.content, job.values)
        return replace(again.preview(loaded), row=row, shown=shown)

    async def _over_recipient_quota(self, request: SendRequest) -> Refused | None:
        """A single message that would pass the mailbox's recipients per 24 hours is refused
        now (Exchange would block the mailbox for a day). A bulk send is queued: the outbox
        spreads its messages over the next windows and the progress card shows when."""
        limit = self._recipients_per_day
        count = len(request.recipients.all())
        if request.is_bulk:
            return None
        now = self._clock()
        counted = await self._store.recipients_counted(request.sender_address, now)
        fits = quota.fits_at(counted, count, limit, now)
        if fits is None:
            text = explain("recipient_quota_message", mailbox=request.sender_address,
                           count=count, limit=format_number(limit))  # fmt: skip
            return Refused(text, request_id=request.id)
        if fits <= now:
            return None
        text = explain("recipient_quota", mailbox=request.sender_address, count=count,
                       limit=format_number(limit), used=format_number(quota.used(counted, now)),
                       fits_at=fits.strftime("%Y-%m-%d %H:%M"))  # fmt: skip
        return Refused(text, request_id=request.id)

    async def cancel(
        self, user_oid: str, request_id: str, version: int
    ) -> Step | SendRequest | NotCancelled:
        try:
            request = await self._store.get_request(request_id)
        except NotFound:
            return _refused("not_yours")
        if request.requester_oid != user_oid:
            return _refused("not_yours")
        if request.state not in CANCELLABLE:
            return NotCancelled(request)
        moved = await self.move(request, SendState.CANCELLED)
        late = moved.request if isinstance(moved, Stale) else None
        if late is not None and late.state not in CANCELLABLE:  # it went out meanwhile
            return NotCancelled(late)
        return moved

    async def retry_failed(self, user_oid: str, request_id: str) -> Step | SendRequest:
        """Re-queue the failed messages of a finished request ("Retry failed"); the sent
        ones stay sent. Permissions are re-taken first."""
        found = await self.request_view(user_oid, request_id)
        if isinstance(found, Refused):
            return found
        if found.state is not SendState.FAILED:
            return Stale(request=found)
        again = await self.redecide(user_oid, found)
        if isinstance(again, Refused):
            return again
        return await self.move(found, SendState.QUEUED)

    async def edit(self, user_oid: str, request_id: str, version: int) -> Step:
        """Back to the compose card with the previewed values; the old preview is cancelled
        (its content is fixed, so an edit makes a new request)."""
        reopened = await self._reopen(user_oid, request_id, version)
        if not isinstance(reopened, tuple):
            return reopened
        return await self._filled_in(*reopened)

    async def rearrange(
        self, user_oid: str, request_id: str, version: int, remedy: privacy.Remedy
    ) -> Step:
        """The privacy prompt's answer: the previewed message again, its To/Cc moved to Bcc
        or sent one each (``bot/flow/privacy.py``), as a new preview; the old one is
        cancelled. Everything is checked and decided again, as for any preview."""
        reopened = await self._reopen(user_oid, request_id, version)
        if not isinstance(reopened, tuple):
            return reopened
        draft, values, sender, _user = reopened
        fields = privacy.rewritten(values, remedy, sender.address)
        return await self.preview(user_oid, draft.id, draft.version, fields)

    async def _reopen(self, user_oid: str, request_id: str, version: int) -> _Copied | Step:
        """Cancel a previewed request and open a compose draft for what it was made from."""
        loaded = await self._load_request(user_oid, request_id, version, SendState.DRAFT)
        if not isinstance(loaded, SendRequest):
            return loaded
        request = loaded
        cancelled = await self.move(request, SendState.CANCELLED)
        if isinstance(cancelled, Stale):
            return cancelled
        copied = await self._copy(user_oid, request)
        if isinstance(copied, tuple):  # an edited resubmission still replaces what it did
            await self._store.carry_replacement(request.id, copied[0].id)
        return copied

    async def resubmit(self, user_oid: str, request_id: str, version: int) -> Step:
        """ "Edit and resubmit" a rejected request: the compose card with every value it had.
        What comes of it is a new request, previewed and approved afresh; the rejected one
        stays rejected, and once the new one goes its cards say which replaced it."""
        loaded = await self._load_request(user_oid, request_id, version, SendState.REJECTED)
        if not isinstance(loaded, SendRequest):
            return loaded
        copied = await self._copy(user_oid, loaded)
        if not isinstance(copied, tuple):
            return copied
        await self._store.note_replacement(copied[0].id, loaded.id)
        return await self._filled_in(*copied)

    # --- unfinished drafts, and sending again ----------------------------------------------

    async def open_drafts(self, user_oid: str, limit: int = 10) -> list[ComposeDraft]:
        return await self._store.open_drafts(user_oid, limit)

    async def resume(self, user_oid: str, draft_id: str) -> Step:
        """Back to where an unfinished draft was left: its preview when it was previewed
        (and not sent), else its filled-in form. Permissions are taken again."""
        try:
            draft = await self._store.get_compose(draft_id)
        except NotFound:
            return _refused("not_yours")
        if draft.user_oid != user_oid:
            return _refused("not_yours")
        if draft.discarded_at is not None:
            return Stale(draft=draft)
        if draft.request_id is not None:
            request = await self._store.get_request(draft.request_id)
            if request.state is not SendState.DRAFT:
                return Stale(request=request)
            return await self.preview_row(user_oid, request.id, request.version, 1)
        loaded = await self._load_draft(user_oid, draft.id, draft.version)
        if not isinstance(loaded, tuple):
            return loaded
        draft, sender, user = loaded
        return Compose(draft, sender, from_line(sender, user), self._templates_for(sender))

    async def discard(self, user_oid: str, draft_id: str) -> ComposeDraft | Refused:
        try:
            return await self._store.discard_compose(draft_id, user_oid)
        except NotFound:
            return _refused("not_yours")

    async def send_again(self, user_oid: str, request_id: str) -> Step:
        """A new draft with an earlier request's sender, template, recipients and values,
        for the user to check and preview; the earlier request stays as it was."""
        found = await self.request_view(user_oid, request_id)
        if isinstance(found, Refused):
            return found
        copied = await self._copy(user_oid, found)
        if not isinstance(copied, tuple):
            return copied
        return await self._filled_in(*copied)

    async def _copy(self, user_oid: str, request: SendRequest) -> _Copied | Step:
        """A new compose draft for ``request``'s sender and template, with its values (not yet
        stored in the draft), once the user may still use that sender."""
        user = await self._facts.user(user_oid)
        sender = await self.resolve(user, request.sender_address)
        if sender is None:
            return _refused("unknown_sender", mailbox=request.sender_address, user=user.upn)
        _facts, decision = await self._facts.decide(user_oid, sender)
        if decision.outcome is Outcome.DENIED:
            return self._denied(decision)
        draft = await self._store.create_compose(
            user_oid=user_oid,
            tenant_id=request.tenant_id,
            sender_address=sender.address,
            template=request.template,
        )
        values = {k: str(v) for k, v in request.values.items() if v is not None}
        attached = request.content.attachments if request.content is not None else ()
        data = await files.load(self._store, request.id, attached)
        if attached and isinstance(data, dict):
            for content in data.values():
                await self._store.save_attachment_content(files.owner(user_oid), content)
            values = files.with_manifest(values, attached)
        return draft, values, sender, user

    async def _filled_in(
        self, draft: ComposeDraft, values: dict[str, str], sender: SenderConfig, user: UserFacts
    ) -> Step:
        draft = await self._store.update_compose(draft.id, draft.version, fields=values)
        return Compose(draft, sender, from_line(sender, user), self._templates_for(sender))

    async def request_view(self, user_oid: str, request_id: str) -> SendRequest | Refused:
        try:
            request = await self._store.get_request(request_id)
        except NotFound:
            return _refused("not_yours")
        if request.requester_oid != user_oid:
            return _refused("not_yours")
        return request

    async def redecide(
        self, user_oid: str, request: SendRequest, *, fresh: bool = False
    ) -> Redecided | Refused:
        """The permission decision for a stored request, taken again now. ``fresh``: from
        facts asked afresh, none cached — for a request that waited (approval, queue,
        schedule) and is about to go."""
        user = await self._facts.user(user_oid, fresh=fresh)
        sender = await self.resolve(user, request.sender_address, fresh=fresh)
        if sender is None:
            return _refused("unknown_sender", mailbox=request.sender_address, user=user.upn)
        decision = await self._facts.decide_for(
            user, sender, RequestFacts(request.recipients.all(), request.template), fresh=fresh
        )
        if decision.outcome is Outcome.DENIED:
            return self._denied(decision, request.id)
        return Redecided(user, sender, decision)

    async def move(self, request: SendRequest, state: SendState) -> SendRequest | Stale:
        """Compare-and-set ``request`` to ``state``; a lost race shows the current state."""
        try:
            return await self._store.transition(request.id, request.version, state)
        except VersionConflict:
            return Stale(request=await self._store.get_request(request.id))

    # --- internals -----------------------------------------------------------------------

    def _templates_for(self, sender: SenderConfig) -> tuple[str, ...]:
        return tuple(n for n in self._catalog.names() if sender.allows_template(n))

    def _denied(self, decision: Decision, request_id: str | None = None) -> Refused:
        problems = [(r.key, r.params) for r in decision.denials]
        return Refused(explain_all(problems), (), request_id)

    async def _load_draft(
        self, user_oid: str, draft_id: str, version: int
    ) -> tuple[ComposeDraft, SenderConfig, UserFacts] | Refused | Stale:
        try:
            draft = await self._store.get_compose(draft_id)
        except NotFound:
            return _refused("not_yours")
        if draft.user_oid != user_oid:
            return _refused("not_yours")
        if draft.request_id is not None or draft.version != version:
            if draft.request_id is not None:
                return Stale(request=await self._store.get_request(draft.request_id))
            return Stale(draft=draft)
        user = await self._facts.user(user_oid)
        sender = await self.resolve(user, draft.sender_address)
        if sender is None:
            return _refused("unknown_sender", mailbox=draft.sender_address, user=user.upn)
        _facts, decision = await self._facts.decide(user_oid, sender)
        if decision.outcome is Outcome.DENIED:
            return self._denied(decision)
        return draft, sender, user

    async def _load_request(
        self, user_oid: str, request_id: str, version: int, expected: SendState
    ) -> SendRequest | Refused | Stale:
        try:
            request = await self._store.get_request(request_id)
        except NotFound:
            return _refused("not_yours")
        if request.requester_oid != user_oid:
            return _refused("not_yours")
        if request.version != version or request.state is not expected:
            return Stale(request=request)
        return request

    def _build_messages(
        self,
        draft: ComposeDraft,
        sender: SenderConfig,
        fields: Mapping[str, str],
        zone: tzinfo | None = None,
    ) -> tuple[list[OutgoingMessage], list[FieldError]]:
        assert draft.template is not None
        variables = self._catalog.get(draft.template).variable_names
        errors: list[FieldError] = []
        to, bad = parse_addresses(fields.get("to", ""), "to")
        errors += bad
        cc, bad = parse_addresses(fields.get("cc", ""), "cc")
        errors += bad
        bcc, bad = parse_addresses(fields.get("bcc", ""), "bcc")
        errors += bad
        sheet, bad = parse_bulk_csv(fields.get(BULK_FIELD, ""), variables, BULK_FIELD)
        errors += bad
        if not to and not sheet.rows and not bad:
            errors.append(FieldError("to", _("add at least one recipient"), "name@example.com"))
        if fields.get("importance", "normal") not in IMPORTANCE:
            errors.append(FieldError("importance", _("must be low, normal or high")))
        values = {k[len(VAR_PREFIX) :]: v for k, v in fields.items() if k.startswith(VAR_PREFIX)}
        as_sender = render_sender(sender)
        if sheet.rows:
            # The CSV's columns come from each row, never from the form: the form's fields
            # count only for the variables the CSV has no column for.
            shared = {k: v for k, v in values.items() if k not in sheet.columns}
            errors += self._form_errors(draft.template, shared, skip=sheet.columns, zone=zone)
            return self._bulk(draft.template, sheet, shared, as_sender, errors, zone=zone)
        if errors:  # show every problem at once: the variables' too
            return [], errors + self._form_errors(draft.template, values, zone=zone)
        try:
            email = self._catalog.render(draft.template, values, as_sender, zone)
        except ValuesInvalid as invalid:
            bad = [FieldError(VAR_PREFIX + e.field, e.problem, e.accepted) for e in invalid.errors]
            return [], bad
        except TemplateRenderError as error:
            return [], [
                FieldError(
                    "", _("the template could not be rendered: {problem}", problem=error.problem)
                )
            ]
        content = RenderedContent(email.subject, email.html, email.text)
        return [OutgoingMessage(Recipients(to, cc, bcc), content, dict(values))], []

    def _form_errors(
        self,
        template: str,
        values: Mapping[str, str],
        skip: tuple[str, ...] = (),
        zone: tzinfo | None = None,
    ) -> list[FieldError]:
        """The form's own problems, next to their fields (``skip``: supplied elsewhere)."""
        try:
            self._catalog.validate(template, values, zone)
        except ValuesInvalid as invalid:
            return [FieldError(VAR_PREFIX + e.field, e.problem, e.accepted)
                    for e in invalid.errors if e.field not in skip]  # fmt: skip
        return []

    def _bulk(
        self,
        template: str,
        sheet: BulkSheet,
        shared: dict[str, str],
        sender: RenderSender,
        errors: list[FieldError],
        *,
        zone: tzinfo | None,
    ) -> tuple[list[OutgoingMessage], list[FieldError]]:
        """One message per row; every row's problems, row by row and column by column, in
        one answer. An empty cell of a required variable is that row's problem even when the
        template has a default: the sheet said "nothing" for this recipient."""
        required = {v.name for v in self._catalog.get(template).variables if v.required}
        messages: list[OutgoingMessage] = []
        for row in sheet.rows:
            problems = list(row.problems)
            empty = [c for c in sheet.columns if c in required and c in row.values
                     and not row.values[c]]  # fmt: skip
            problems += [_("column {name}: is empty, and this variable is required", name=c)
                         for c in empty]  # fmt: skip
            values = {**shared, **row.values}
            try:
                email = self._catalog.render(template, values, sender, zone)
            except ValuesInvalid as invalid:
                problems += [_("column {name}: {problem}", name=e.field, problem=e.problem)
                             for e in invalid.errors
                             if e.field in sheet.columns and e.field not in empty]  # fmt: skip
            except TemplateRenderError as error:
                problems.append(error.problem)
            else:
                if not problems:
                    content = RenderedContent(email.subject, email.html, email.text)
                    recipients = Recipients((row.recipient,))
                    messages.append(OutgoingMessage(recipients, content, dict(values)))
            errors += [_row_error(row.line, problem) for problem in problems]
        return ([], errors) if errors else (messages, [])


def guess_type(name: str) -> str:
    return _guess(name)[0] or "application/octet-stream"


def _row_error(line: int, problem: str) -> FieldError:
    """``row 3, column email: …`` or ``row 3: …``, as the compose card lists them."""
    if problem.startswith(_("column") + " "):  # each "column …" text begins with the word
        return FieldError(BULK_FIELD, _("row {line}, {problem}", line=line, problem=problem))
    return FieldError(BULK_FIELD, _("row {line}: {problem}", line=line, problem=problem))


def _too_large(messages: list[OutgoingMessage], sender: str) -> list[FieldError]:
    """Graph refuses a request over 4 MB before reading it: say so at the preview."""
    for number, message in enumerate(messages, start=1):
        r = message.recipients
        problem = request_size_problem(message.content.subject, message.content.html,
                                       (r.to, r.cc, r.bcc), sender)  # fmt: skip
        if problem is not None:
            which = _("message {number}: ", number=number) if len(messages) > 1 else ""
            return [FieldError("", which + problem)]
    return []


def render_sender(sender: SenderConfig) -> RenderSender:
    """What rendering needs of a configured sender: its kind, and a no-reply footer's words."""
    return RenderSender(
        address=sender.address,
        display_name=sender.display_name,
        kind=sender.kind.value,
        footer_text=sender.footer_text,
        help_contact=sender.help_contact,
    )


def _discovered(address: str) -> SenderConfig:
    from bot.domain.senders import Mode  # noqa: PLC0415 - only for discovered senders

    return SenderConfig(
        address=address,
        display_name=address,
        kind=SenderKind.SEND_AS,
        mode=Mode.DELEGATED,
        discovered=True,
    )


def _kept_inputs(inputs: Mapping[str, str], variables: tuple[str, ...]) -> dict[str, str]:
    """Only the inputs the compose card has; dates and times of datetime fields joined."""
    allowed = {"to", "cc", "bcc", "importance", BULK_FIELD}
    allowed |= {VAR_PREFIX + v for v in variables}
    kept = {k: v[:100_000] for k, v in inputs.items() if k in allowed}
    for name in variables:
        time_value = inputs.get(VAR_PREFIX + name + TIME_SUFFIX, "").strip()
        date_value = kept.get(VAR_PREFIX + name, "").strip()
        if time_value and date_value and "T" not in date_value:
            kept[VAR_PREFIX + name] = f"{date_value}T{time_value[:8]}"
    return kept


def _unknown_variable(name: str, template: str, variables: tuple[str, ...]) -> str:
    problem = f"“{name[:40]}” is not a variable of {template}, so it was not used."
    close = difflib.get_close_matches(name, variables, n=1)
    if close:
        problem += f" Did you mean {close[0]}?"
    return problem + f" Its variables: {', '.join(variables)}."


def _by_field(errors: list[FieldError]) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in errors:
        if error.field:
            accepted = _(" (accepted: {accepted})", accepted=error.accepted)
            text = error.problem + (accepted if error.accepted else "")
            # A CSV's problems are listed one a line (row by row); a field's share one line.
            joint = "\n" if error.field == BULK_FIELD else "; "
            out[error.field] = f"{out[error.field]}{joint}{text}" if error.field in out else text
    return out


def _general(errors: list[FieldError]) -> tuple[str, ...]:
    return tuple(e.problem for e in errors if not e.field)


def expiry(now: datetime, hours: int) -> datetime:
    return now + timedelta(hours=hours)
