"""The catalogue: every denial reason and every Graph error Mailroom can meet, explained.

Each entry says what happened, why, how to fix it, who can, and whether retrying makes
sense. Texts take ``{placeholders}`` from the decision's reason params or the error.
Unknown Graph codes get a generic entry that still shows the request id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from string import Formatter
from typing import Any

from bot.errors import GraphError

_PROPAGATION = "Exchange can take up to two hours to apply a permission change."


@dataclass(frozen=True)
class Explanation:
    key: str
    title: str
    what: str
    why: str
    fix: str
    who: str
    retry: bool = False


@dataclass(frozen=True)
class _Entry:
    title: str
    what: str
    why: str
    fix: str
    who: str
    retry: bool = False


CATALOGUE: dict[str, _Entry] = {
    # --- permission decisions ----------------------------------------------------------
    "missing_send_as": _Entry(
        "You can't send as {mailbox}",
        "Mailroom did not send the message.",
        "Exchange does not list you ({user}) as a Send As trustee of {mailbox}.",
        "An Exchange admin adds you in the Exchange admin center under Recipients → Mailboxes "
        "→ {mailbox} → Delegation → Send as, or runs "
        "`Add-RecipientPermission {mailbox} -Trustee {user} -AccessRights SendAs`. " + _PROPAGATION,
        "An Exchange administrator (or the mailbox's owner, through your helpdesk).",
    ),
    "missing_full_access": _Entry(
        "You need Full Access to {mailbox}",
        "Mailroom did not send the message.",
        "Sending from a shared mailbox so that the copy lands in its Sent Items needs Full "
        "Access to {mailbox} as well as Send As; Exchange does not list you ({user}) with Full "
        "Access.",
        "An Exchange admin adds you in the Exchange admin center under Recipients → Mailboxes "
        "→ {mailbox} → Delegation → Read and manage (Full Access), or runs "
        "`Add-MailboxPermission {mailbox} -User {user} -AccessRights FullAccess "
        "-InheritanceType All`. " + _PROPAGATION,
        "An Exchange administrator.",
    ),
    "missing_send_on_behalf": _Entry(
        "You can't send on behalf of {mailbox}",
        "Mailroom did not send the message.",
        "{mailbox} has not granted you ({user}) Send on Behalf.",
        "The mailbox owner adds you as a delegate in Outlook (File → Account Settings → "
        "Delegate Access), or an Exchange admin runs "
        '`Set-Mailbox {mailbox} -GrantSendOnBehalfTo @{{Add="{user}"}}`. ' + _PROPAGATION,
        "The owner of {mailbox}, or an Exchange administrator.",
    ),
    "no_mailbox": _Entry(
        "You have no mailbox",
        "Mailroom did not send the message.",
        "{user} has no Exchange Online mailbox, so Exchange has nothing to send from.",
        "A Microsoft 365 admin assigns you a licence that includes Exchange Online.",
        "A Microsoft 365 administrator.",
    ),
    "rights_unverified": _Entry(
        "Your rights on {mailbox} could not be checked",
        "Mailroom did not send the message.",
        "This sender sends with the Mailroom app's own permission, so Mailroom must confirm "
        "with Exchange that you may use {mailbox} first; Exchange did not answer ({problem}).",
        "Try again in a few minutes. If it keeps failing, the Mailroom admin checks the "
        "Exchange admin API connection and the app's Exchange role (`mailroom doctor`), or, "
        'where the organisation grants the app no Exchange role, sets `rights = "policy"` '
        "for {mailbox} in mailroom.toml (docs/policy.md).",
        "Nobody, usually: this clears by itself. Otherwise the Mailroom administrator.",
        retry=True,
    ),
    "rights_app_refused": _Entry(
        "Exchange refused to tell Mailroom who may use {mailbox}",
        "Mailroom did not send the message.",
        "This sender sends with the Mailroom app's own permission, so Mailroom must confirm "
        "with Exchange that you may use {mailbox} first; Exchange refused the app itself "
        "({problem}). The app needs the Office 365 Exchange Online application permission "
        "Exchange.ManageAsApp (and Exchange.ManageAsAppV2) with admin consent, and an Exchange "
        "role for the admin API: the Entra role Exchange Recipient Administrator (or an "
        "Exchange role group); one of them is missing.",
        "An Entra admin grants the missing permission or role to the Mailroom app as "
        "docs/deploy.md lists (`mailroom doctor` names it), or, where the organisation grants "
        'the app no Exchange role, the Mailroom admin sets `rights = "policy"` for {mailbox} '
        "in mailroom.toml (docs/policy.md).",
        "An Entra ID administrator, or the Mailroom administrator.",
    ),
    "groups_unverified": _Entry(
        "Your group membership could not be checked",
        "Mailroom did not send the message.",
        "{mailbox} is limited to some groups, and Microsoft Graph did not tell Mailroom "
        "which groups you are in.",
        "Try again in a few minutes; if it persists, the Mailroom admin checks the app's "
        "GroupMember.Read.All permission (`mailroom doctor`).",
        "The Mailroom administrator.",
        retry=True,
    ),
    "not_in_allowed_group": _Entry(
        "{mailbox} is limited to certain groups",
        "Mailroom did not send the message.",
        "Mailroom's policy lets only members of these groups use {mailbox}: {groups}. "
        "You ({user}) are not in any of them.",
        "Ask the group's owner to add you, or the Mailroom admin to change `allowed_groups` "
        "for {mailbox} in mailroom.toml.",
        "The group's owner, or the Mailroom administrator.",
    ),
    "template_not_allowed": _Entry(
        "That template can't be sent from {mailbox}",
        "Mailroom did not send the message.",
        "The policy allows only these templates for {mailbox}: {templates}.",
        "Pick one of those templates, or ask the Mailroom admin to allow {template} for "
        "{mailbox} (`templates` in mailroom.toml).",
        "The Mailroom administrator.",
    ),
    "too_many_recipients": _Entry(
        "Too many recipients",
        "Mailroom did not send the message.",
        "The message has {count} recipients; {mailbox} allows at most {max}.",
        "Split the recipients into smaller groups, use a distribution list, or ask the "
        "Mailroom admin to raise `max_recipients` (Exchange's own limit is 500 by default, "
        "1,000 at most).",
        "You, or the Mailroom administrator.",
    ),
    "external_not_allowed": _Entry(
        "{mailbox} only writes inside the organisation",
        "Mailroom did not send the message.",
        "These recipients are external: {external}. The policy marks {mailbox} internal-only.",
        "Remove the external recipients, or send from a sender that may write outside.",
        "You, or the Mailroom administrator (`internal_only` in mailroom.toml).",
    ),
    "domain_not_allowed": _Entry(
        "Some recipients are in domains {mailbox} may not write to",
        "Mailroom did not send the message.",
        "{mailbox} may write only to {domains}; these recipients are outside: {external}.",
        "Remove those recipients, or ask the Mailroom admin to add the domain to "
        "`allowed_domains`.",
        "You, or the Mailroom administrator.",
    ),
    "rate_limited": _Entry(
        "Slow down a little",
        "Mailroom has not sent the message yet.",
        "{mailbox} may send {limit} messages a minute and that limit is reached.",
        "Mailroom sends the rest automatically as the limit allows; nothing is lost.",
        "Nobody: it resolves itself.",
        retry=True,
    ),
    "recipient_quota": _Entry(
        "{mailbox} has reached its daily recipient limit",
        "Mailroom did not send the message.",
        "Exchange lets a mailbox send to at most {limit} recipients in any 24 hours. "
        "{mailbox} has sent to {used} in the last 24 hours, and this message has {count}; "
        "sending it now would pass the limit, and Exchange would then block the mailbox "
        "from sending anything for 24 hours.",
        "Send it after {fits_at} (UTC), when enough of the last day's recipients have left the "
        "window, or send it from another sender.",
        "You.",
        retry=True,
    ),
    "recipient_quota_message": _Entry(
        "More recipients than {mailbox} may send to in a day",
        "Mailroom did not send the message.",
        "The message has {count} recipients; Exchange lets a mailbox send to at most {limit} "
        "in any 24 hours, so it can never go out as one message.",
        "Split the recipients into smaller messages (a bulk send), or use a distribution list "
        "(it counts as one recipient).",
        "You.",
    ),
    "approval_always": _Entry(
        "Approval needed",
        "The message waits for approval.",
        "Every message from {mailbox} is approved before it is sent.",
        "Request approval; an approver decides from a card in Teams.",
        "An approver for {mailbox}.",
    ),
    "approval_external": _Entry(
        "Approval needed for external recipients",
        "The message waits for approval.",
        "Messages from {mailbox} to people outside the organisation are approved first "
        "({external}).",
        "Request approval, or send only to internal recipients.",
        "An approver for {mailbox}.",
    ),
    "approval_over_recipients": _Entry(
        "Approval needed for large sends",
        "The message waits for approval.",
        "Messages from {mailbox} to more than {limit} recipients are approved first; this one "
        "has {count}.",
        "Request approval, or send to fewer recipients.",
        "An approver for {mailbox}.",
    ),
    "unknown_sender": _Entry(
        "{mailbox} is not a sender you can use",
        "Mailroom did not start a message.",
        "{mailbox} is not configured in Mailroom, and Exchange does not say you may send as it.",
        "Pick a sender from /senders, or ask the Mailroom admin to add {mailbox} to mailroom.toml.",
        "The Mailroom administrator.",
    ),
    "not_yours": _Entry(
        "That card isn't yours",
        "Mailroom did nothing.",
        "The card belongs to another person's message, or to a message that no longer exists.",
        "Start your own with /send.",
        "You.",
    ),
    "no_approvers": _Entry(
        "Nobody can approve this",
        "Mailroom did not request approval.",
        "Sends from {mailbox} need approval, but its approvers group has no one who may "
        "approve your request.",
        "The Mailroom admin adds approvers to the group named in `approvers_group` for {mailbox}.",
        "The Mailroom administrator, or the group's owner.",
    ),
    "not_an_approver": _Entry(
        "You can't approve this",
        "Mailroom did not record your decision.",
        "You are not (or no longer) in the approvers group for {mailbox}.",
        "Ask the group's owner to add you, or leave the decision to an approver.",
        "The approvers group's owner.",
    ),
    "self_approval": _Entry(
        "You can't approve your own request",
        "Mailroom did not record your decision.",
        "Policy requires a second person to approve sends from {mailbox}.",
        "Another approver decides; you can cancel the request while it waits.",
        "Another approver.",
    ),
    "approval_expired": _Entry(
        "The approval request expired",
        "Nothing was sent.",
        "No approver decided before the request expired.",
        "Send it again with /send if it is still needed.",
        "You.",
    ),
    # --- Graph errors at send time -----------------------------------------------------
    "ErrorSendAsDenied": _Entry(
        "Exchange refused to send as {mailbox}",
        "Exchange did not accept the message (Graph request {request_id}).",
        "Exchange says you ({user}) do not have the right to send as or on behalf of "
        "{mailbox}. If the right was granted recently, it may not have applied yet.",
        "An Exchange admin grants Send As (`Add-RecipientPermission {mailbox} -Trustee {user} "
        "-AccessRights SendAs`) or Send on Behalf. " + _PROPAGATION,
        "An Exchange administrator.",
    ),
    "ErrorAccessDenied": _Entry(
        "Access to {mailbox} was denied",
        "Microsoft Graph refused the request (Graph request {request_id}).",
        "The Mailroom app is not allowed to send from {mailbox}: its Mail.Send permission is "
        "limited by Exchange RBAC for Applications (or an application access policy) to other "
        "mailboxes, or the permission was not consented.",
        "An Exchange admin adds {mailbox} to the app's management scope "
        "(`New-ManagementScope` / `Set-ManagementScope`, then the `Application Mail.Send` "
        "role assignment), or an Entra admin grants consent. See docs/deploy.md.",
        "An Exchange administrator or an Entra ID administrator.",
    ),
    "access_denied_app_create": _Entry(
        "The Mailroom app may not write to {mailbox}",
        "Mailroom did not send the message: Microsoft Graph refused to create it in {mailbox} "
        "(Graph request {request_id}).",
        "Mailroom creates each message as a draft in {mailbox} before sending it. That needs "
        "the Exchange RBAC for Applications role `Application Mail.ReadWrite` for the Mailroom "
        "app, with a management scope that holds {mailbox}; one of the two is missing.",
        "An Exchange admin assigns `Application Mail.ReadWrite` to the app with the scope "
        'docs/deploy.md names (`New-ManagementRoleAssignment -App <app id> -Role "Application '
        'Mail.ReadWrite" -CustomResourceScope "Mailroom application senders"`) and marks '
        "{mailbox} for that scope (`Set-Mailbox -CustomAttribute15 mailroom-app-sender`). "
        "`mailroom doctor` shows which is missing.",
        "An Exchange administrator.",
    ),
    "access_denied_delegated_create": _Entry(
        "Microsoft Graph refused to create the message for you",
        "Mailroom did not send the message (Graph request {request_id}).",
        "Mailroom sends from {mailbox} with your own sign-in, and creates each message as a "
        "draft first. The Mailroom app has not been granted the delegated permission "
        "`Mail.ReadWrite` (`Mail.ReadWrite.Shared` for a mailbox other than your own), or its "
        "admin consent is missing, so Graph refuses it for everyone.",
        "An Entra admin adds the Microsoft Graph delegated permission to the Mailroom app "
        "(App registrations → Mailroom → API permissions) and grants admin consent, as "
        "docs/deploy.md lists; `mailroom doctor` checks it.",
        "An Entra ID administrator.",
    ),
    "access_denied_delegated_send": _Entry(
        "Microsoft Graph refused to send the message for you",
        "Mailroom did not send the message (Graph request {request_id}).",
        "Mailroom sends from {mailbox} with your own sign-in. The Mailroom app has not been "
        "granted the delegated permission `Mail.Send` (`Mail.Send.Shared` for a mailbox other "
        "than your own), or its admin consent is missing, so Graph refuses it for everyone.",
        "An Entra admin adds the Microsoft Graph delegated permission to the Mailroom app "
        "(App registrations → Mailroom → API permissions) and grants admin consent, as "
        "docs/deploy.md lists; `mailroom doctor` checks it.",
        "An Entra ID administrator.",
    ),
    "app_directory_denied": _Entry(
        "The Mailroom app may not read your organisation's directory",
        "Mailroom could not check who you are and what you may send: Microsoft Graph refused "
        "the app ({code}, Graph request {request_id}).",
        "Every decision reads the requester and the senders with the app's own token (`GET "
        "/users/<id>`) and checks their groups. That needs the Microsoft Graph application "
        "permissions `User.Read.All` and `GroupMember.Read.All` with admin consent; one of "
        "them is missing.",
        "An Entra admin adds the missing application permission to the Mailroom app (App "
        "registrations → Mailroom → API permissions) and grants admin consent, as "
        "docs/deploy.md lists; `mailroom doctor` names the one that is missing.",
        "An Entra ID administrator.",
    ),
    "ErrorInvalidRecipients": _Entry(
        "Some recipient addresses are not valid",
        "Exchange did not accept the message (Graph request {request_id}).",
        "At least one recipient address was rejected by Exchange.",
        "Check the addresses for typos and try again.",
        "You.",
    ),
    "content_changed": _Entry(
        "The email changed after it was checked",
        "Mailroom did not send it.",
        "What is stored to be sent — its text or one of its files — is no longer what was "
        "previewed and approved, so the approval does not cover it.",
        "Start the send again with the files you mean to send; it will be checked (and "
        "approved) afresh.",
        "You.",
    ),
    "attachment_unavailable": _Entry(
        "A file of this email is no longer stored",
        "Mailroom did not send it.",
        "The bytes of one of its files are gone (removed by retention, or never stored).",
        "Start the send again and attach the files anew.",
        "You.",
    ),
    "no_compose_open": _Entry(
        "No email to attach this to",
        "Mailroom kept nothing of the file.",
        "Files sent in this chat go onto the email you are writing, and none is open (or it "
        "was already previewed).",
        "Start one with /send, pick the template, then send the file here; to change a "
        "previewed email, choose Edit first.",
        "You.",
    ),
    "ErrorMessageSizeExceeded": _Entry(
        "The message is too large",
        "Exchange did not accept the message (Graph request {request_id}).",
        "The message is larger than the organisation's size limit.",
        "Remove or shrink attachments and try again.",
        "You, or an Exchange administrator (message size limits).",
    ),
    "ErrorQuotaExceeded": _Entry(
        "{mailbox} is full",
        "Exchange did not accept the message (Graph request {request_id}).",
        "The mailbox has reached its storage quota, so it cannot store the sent copy.",
        "The mailbox owner deletes old items, or an admin raises the quota.",
        "The mailbox owner or an Exchange administrator.",
    ),
    "ErrorItemNotFound": _Entry(
        "Mailroom couldn't open {mailbox}",
        "Exchange did not accept the message (Graph request {request_id}).",
        'Exchange answered "The specified object was not found in the store." For another '
        "person's or a shared mailbox that almost always means a missing right, not a missing "
        "mailbox: the account sending ({user}) lacks Full Access to {mailbox} (or Send As), "
        "or, for a sender in application mode, the Mailroom app's Exchange role assignment "
        "does not cover {mailbox}.",
        "An Exchange admin grants Full Access under Recipients → Mailboxes → {mailbox} → "
        "Delegation → Read and manage, or runs `Add-MailboxPermission {mailbox} -User {user} "
        "-AccessRights FullAccess -InheritanceType All` (and Send As, if missing); for an "
        "application-mode sender, adds {mailbox} to the app's management scope "
        "(docs/deploy.md). " + _PROPAGATION,
        "An Exchange administrator.",
    ),
    "item_not_found": _Entry(
        "The message was no longer in {mailbox}",
        "Mailroom did not send the message (Graph request {request_id}).",
        'Exchange answered "The specified object was not found in the store." for the draft '
        "Mailroom had just created in the mailbox's own Drafts: it was deleted or moved "
        "before it could be sent.",
        "Send it again.",
        "You.",
        retry=True,
    ),
    "ErrorInvalidUser": _Entry(
        "{mailbox} does not exist",
        "Microsoft Graph could not find the mailbox (Graph request {request_id}).",
        "There is no mailbox {mailbox} in the organisation, or it was removed.",
        "The Mailroom admin corrects or removes this sender in mailroom.toml.",
        "The Mailroom administrator.",
    ),
    "MailboxNotEnabledForRESTAPI": _Entry(
        "{mailbox} can't be used through Microsoft Graph",
        "Microsoft Graph refused the request (Graph request {request_id}).",
        "The mailbox is inactive, soft-deleted or hosted on-premises.",
        "An Exchange admin restores or migrates the mailbox to Exchange Online.",
        "An Exchange administrator.",
    ),
    "TooManyRequests": _Entry(
        "Exchange asked Mailroom to slow down",
        "The message has not been sent yet (Graph request {request_id}).",
        "Exchange limits how fast one app may send from one mailbox.",
        "Nothing: Mailroom waits as Exchange asks and sends it.",
        "Nobody: it resolves itself.",
        retry=True,
    ),
    "ServiceUnavailable": _Entry(
        "Microsoft 365 is busy",
        "The message has not been sent yet (Graph request {request_id}).",
        "Exchange answered that it is temporarily unavailable.",
        "Try again in a few minutes.",
        "Nobody: it resolves itself.",
        retry=True,
    ),
    "InvalidAuthenticationToken": _Entry(
        "Mailroom's sign-in to Microsoft 365 failed",
        "Microsoft Graph refused Mailroom's token (Graph request {request_id}).",
        "The token was expired or not valid for Microsoft Graph.",
        "Try again; if it persists, the Mailroom admin checks the app registration "
        "(`mailroom doctor`).",
        "The Mailroom administrator.",
        retry=True,
    ),
    "consent_required": _Entry(
        "Please sign in again",
        "Mailroom could not act for you.",
        "Microsoft Entra ID needs you to sign in again or consent to Mailroom's permissions.",
        "Sign in when Mailroom asks; if it keeps asking, an Entra admin grants admin consent.",
        "You, or an Entra ID administrator.",
        retry=True,
    ),
    "admin_consent_missing": _Entry(
        "Mailroom needs an administrator's consent",
        "Mailroom did not send anything.",
        "Microsoft Entra ID says nobody has consented to the permissions Mailroom needs to send "
        "as you, so signing in again would not help. Mailroom needs these Microsoft Graph "
        "delegated permissions, each with admin consent: User.Read, openid, profile, "
        "offline_access, Mail.Send, Mail.ReadWrite, Mail.Send.Shared and Mail.ReadWrite.Shared; "
        "one of them is missing or not consented.",
        "An Entra administrator opens Entra admin center → App registrations → Mailroom → API "
        "permissions, adds any of them that is not listed (Add a permission → Microsoft Graph → "
        "Delegated permissions; openid, profile and offline_access are under OpenId "
        "permissions), then selects Grant admin consent for the organisation (docs/deploy.md "
        "step 2; `mailroom doctor` names the missing one). Then select Send again.",
        "An Entra ID administrator.",
        retry=True,
    ),
    "sign_in_not_set_up": _Entry(
        "Signing in to Mailroom is not set up",
        "Mailroom did not send anything.",
        "This sender sends with your own sign-in, and Microsoft Entra ID refused it because "
        "Mailroom's sign-in is not set up in your organisation ({problem}). Missing: "
        "{missing}. Signing in again would not help.",
        "An administrator fixes it: {fix}. Then select Send again. `mailroom doctor` checks "
        "every step.",
        "An Entra ID administrator (the OAuth connection: whoever manages the Azure Bot).",
        retry=True,
    ),
    "sign_in_did_not_finish": _Entry(
        "Signing in to Mailroom did not finish",
        "Mailroom did not send anything: it still has no sign-in from you.",
        "Teams asked you to sign in and no sign-in reached Mailroom. If the sign-in window "
        "showed an error (AADSTS…), Mailroom's sign-in is not set up in your organisation; "
        "one of these is usually missing: {missing}.",
        "Select Send again and finish signing in. If the sign-in window shows an error, an "
        "administrator checks these steps (`mailroom doctor` names the missing one):\n{fix}",
        "You; if signing in fails, an Entra ID administrator.",
        retry=True,
    ),
    "maybe_sent": _Entry(
        "Checking whether the message went out",
        "The connection to Microsoft 365 broke after the message was handed over.",
        "It may or may not have been sent; Mailroom never sends twice, so it looks in "
        "{mailbox}'s Sent Items before doing anything else.",
        "Nothing: Mailroom reconciles and updates this card.",
        "Nobody.",
    ),
    "outcome_unknown": _Entry(
        "Sent or not? Check the Sent Items of {mailbox}",
        "Mailroom could not find out whether this message went out.",
        "Microsoft 365 took the message, or may have, and did not show where it went in time. "
        "Mailroom never sends a message twice, so it did not send it again.",
        "Look in the Sent Items of {mailbox}: if the message is not there, send it anew.",
        "You, or someone with access to {mailbox}.",
    ),
    "draft_deleted": _Entry(
        "The message was deleted before it went out",
        "Its draft disappeared from {mailbox} before it was sent: nothing was sent.",
        "Someone with access to {mailbox} deleted the draft Mailroom had prepared there.",
        "Retry to prepare and send it again.",
        "You.",
        retry=True,
    ),
    "temporarily_unavailable": _Entry(
        "Mailroom is temporarily unavailable",
        "Your request was not lost, but it could not be processed right now.",
        "A service Mailroom depends on did not answer ({problem}).",
        "Try again in a minute.",
        "Nobody, usually; otherwise the Mailroom administrator.",
        retry=True,
    ),
    "unknown": _Entry(
        "Something went wrong sending from {mailbox}",
        "Microsoft Graph answered {status} {code} (Graph request {request_id}).",
        "Mailroom does not have a specific explanation for this error.",
        "Try again; if it persists, give the Graph request id to your Mailroom admin.",
        "The Mailroom administrator.",
        retry=True,
    ),
}

_GRAPH_ALIASES = {
    "ErrorNonExistentMailbox": "ErrorInvalidUser",
    "ApplicationThrottled": "TooManyRequests",
    "ErrorServerBusy": "ServiceUnavailable",
    "serviceNotAvailable": "ServiceUnavailable",
}


class _Defaults(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "unknown" if key == "request_id" else f"({key})"


def explain(key: str, **params: Any) -> Explanation:
    entry = CATALOGUE.get(key) or CATALOGUE["unknown"]
    values = _Defaults({k: str(v) for k, v in params.items() if v is not None})
    fmt = Formatter()

    def fill(text: str) -> str:
        return fmt.vformat(text, (), values)

    return Explanation(
        key=key if key in CATALOGUE else "unknown",
        title=fill(entry.title),
        what=fill(entry.what),
        why=fill(entry.why),
        fix=fill(entry.fix),
        who=fill(entry.who),
        retry=entry.retry,
    )


def explain_all(problems: Sequence[tuple[str, Mapping[str, Any]]]) -> Explanation:
    """One explanation for every problem at once — a policy rule *and* an Exchange right,
    say — so nobody fixes one, tries again and only then hears of the next. The first
    problem gives the title; the reasons, the fixes (numbered, one per line) and who can
    make them are all listed."""
    parts = [explain(key, **params) for key, params in problems]
    if len(parts) < 2:
        return parts[0] if parts else explain("unknown")
    first = parts[0]
    fixes = list(dict.fromkeys(p.fix for p in parts if p.fix))
    return replace(
        first,
        title=f"{first.title} (and {len(parts) - 1} more to fix)",
        why=" ".join(dict.fromkeys(p.why for p in parts if p.why)),
        fix="\n".join(f"{n}. {fix}" for n, fix in enumerate(fixes, 1)),
        who=" Also: ".join(dict.fromkeys(p.who for p in parts if p.who)),
        retry=all(p.retry for p in parts),
    )


def explain_graph_error(
    error: GraphError, *, own_mailbox: bool = False, **params: Any
) -> Explanation:
    """The explanation for a Graph error; unknown codes get the generic entry.

    ``own_mailbox``: the call addressed the acting account's own mailbox (``/me``, or the
    user's own ``/users/{id}``). ``ErrorItemNotFound`` means a missing item there, but on
    anyone else's mailbox it is how Exchange answers a caller without Full Access."""
    key = _GRAPH_ALIASES.get(error.code, error.code)
    if key == "ErrorItemNotFound" and own_mailbox:
        key = "item_not_found"
    if error.status == 429:
        key = "TooManyRequests"
    elif error.status in (503, 504) and key not in CATALOGUE:
        key = "ServiceUnavailable"
    return explain(
        key if key in CATALOGUE else "unknown",
        request_id=error.request_id,
        status=error.status,
        code=error.code,
        **params,
    )
