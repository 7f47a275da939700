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
from bot.i18n import N_, _

_PROPAGATION = N_("Exchange can take up to two hours to apply a permission change.")


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
        N_("You can't send as {mailbox}"),
        N_("Mailroom did not send the message."),
        N_("Exchange does not list you ({user}) as a Send As trustee of {mailbox}."),
        N_(
            "An Exchange admin adds you in the Exchange admin center under Recipients → Mailboxes "
            "→ {mailbox} → Delegation → Send as, or runs "
            "`Add-RecipientPermission {mailbox} -Trustee {user} -AccessRights SendAs`. "
            "{propagation}"
        ),
        N_("An Exchange administrator (or the mailbox's owner, through your helpdesk)."),
    ),
    "missing_full_access": _Entry(
        N_("You need Full Access to {mailbox}"),
        N_("Mailroom did not send the message."),
        N_(
            "Sending from a shared mailbox so that the copy lands in its Sent Items needs Full "
            "Access to {mailbox} as well as Send As; Exchange does not list you ({user}) with Full "
            "Access."
        ),
        N_(
            "An Exchange admin adds you in the Exchange admin center under Recipients → Mailboxes "
            "→ {mailbox} → Delegation → Read and manage (Full Access), or runs "
            "`Add-MailboxPermission {mailbox} -User {user} -AccessRights FullAccess "
            "-InheritanceType All`. {propagation}"
        ),
        N_("An Exchange administrator."),
    ),
    "missing_send_on_behalf": _Entry(
        N_("You can't send on behalf of {mailbox}"),
        N_("Mailroom did not send the message."),
        N_("{mailbox} has not granted you ({user}) Send on Behalf."),
        N_(
            "The mailbox owner adds you as a delegate in Outlook (File → Account Settings → "
            "Delegate Access), or an Exchange admin runs "
            '`Set-Mailbox {mailbox} -GrantSendOnBehalfTo @{{Add="{user}"}}`. {propagation}'
        ),
        N_("The owner of {mailbox}, or an Exchange administrator."),
    ),
    "no_mailbox": _Entry(
        N_("You have no mailbox"),
        N_("Mailroom did not send the message."),
        N_("{user} has no Exchange Online mailbox, so Exchange has nothing to send from."),
        N_("A Microsoft 365 admin assigns you a licence that includes Exchange Online."),
        N_("A Microsoft 365 administrator."),
    ),
    "rights_unverified": _Entry(
        N_("Your rights on {mailbox} could not be checked"),
        N_("Mailroom did not send the message."),
        N_(
            "This sender sends with the Mailroom app's own permission, so Mailroom must confirm "
            "with Exchange that you may use {mailbox} first; Exchange did not answer ({problem})."
        ),
        N_(
            "Try again in a few minutes. If it keeps failing, the Mailroom admin checks the "
            "Exchange admin API connection and the app's Exchange role (`mailroom doctor`), or, "
            'where the organisation grants the app no Exchange role, sets `rights = "policy"` '
            "for {mailbox} in mailroom.toml (docs/policy.md)."
        ),
        N_("Nobody, usually: this clears by itself. Otherwise the Mailroom administrator."),
        retry=True,
    ),
    "rights_app_refused": _Entry(
        N_("Exchange refused to tell Mailroom who may use {mailbox}"),
        N_("Mailroom did not send the message."),
        N_(
            "This sender sends with the Mailroom app's own permission, so Mailroom must confirm "
            "with Exchange that you may use {mailbox} first; Exchange refused the app itself "
            "({problem}). The app needs the Office 365 Exchange Online application permission "
            "Exchange.ManageAsApp (and Exchange.ManageAsAppV2) with admin consent, and an Exchange "
            "role for the admin API: the Entra role Exchange Recipient Administrator (or an "
            "Exchange role group); one of them is missing."
        ),
        N_(
            "An Entra admin grants the missing permission or role to the Mailroom app as "
            "docs/deploy.md lists (`mailroom doctor` names it), or, where the organisation grants "
            'the app no Exchange role, the Mailroom admin sets `rights = "policy"` for {mailbox} '
            "in mailroom.toml (docs/policy.md)."
        ),
        N_("An Entra ID administrator, or the Mailroom administrator."),
    ),
    "groups_unverified": _Entry(
        N_("Your group membership could not be checked"),
        N_("Mailroom did not send the message."),
        N_(
            "{mailbox} is limited to some groups, and Microsoft Graph did not tell Mailroom "
            "which groups you are in."
        ),
        N_(
            "Try again in a few minutes; if it persists, the Mailroom admin checks the app's "
            "GroupMember.Read.All permission (`mailroom doctor`)."
        ),
        N_("The Mailroom administrator."),
        retry=True,
    ),
    "not_in_allowed_group": _Entry(
        N_("{mailbox} is limited to certain groups"),
        N_("Mailroom did not send the message."),
        N_(
            "Mailroom's policy lets only members of these groups use {mailbox}: {groups}. "
            "You ({user}) are not in any of them."
        ),
        N_(
            "Ask the group's owner to add you, or the Mailroom admin to change `allowed_groups` "
            "for {mailbox} in mailroom.toml."
        ),
        N_("The group's owner, or the Mailroom administrator."),
    ),
    "template_not_allowed": _Entry(
        N_("That template can't be sent from {mailbox}"),
        N_("Mailroom did not send the message."),
        N_("The policy allows only these templates for {mailbox}: {templates}."),
        N_(
            "Pick one of those templates, or ask the Mailroom admin to allow {template} for "
            "{mailbox} (`templates` in mailroom.toml)."
        ),
        N_("The Mailroom administrator."),
    ),
    "too_many_recipients": _Entry(
        N_("Too many recipients"),
        N_("Mailroom did not send the message."),
        N_("The message has {count} recipients; {mailbox} allows at most {max}."),
        N_(
            "Split the recipients into smaller groups, use a distribution list, or ask the "
            "Mailroom admin to raise `max_recipients` (Exchange's own limit is 500 by default, "
            "1,000 at most)."
        ),
        N_("You, or the Mailroom administrator."),
    ),
    "external_not_allowed": _Entry(
        N_("{mailbox} only writes inside the organisation"),
        N_("Mailroom did not send the message."),
        N_("These recipients are external: {external}. The policy marks {mailbox} internal-only."),
        N_("Remove the external recipients, or send from a sender that may write outside."),
        N_("You, or the Mailroom administrator (`internal_only` in mailroom.toml)."),
    ),
    "domain_not_allowed": _Entry(
        N_("Some recipients are in domains {mailbox} may not write to"),
        N_("Mailroom did not send the message."),
        N_("{mailbox} may write only to {domains}; these recipients are outside: {external}."),
        N_(
            "Remove those recipients, or ask the Mailroom admin to add the domain to "
            "`allowed_domains`."
        ),
        N_("You, or the Mailroom administrator."),
    ),
    "rate_limited": _Entry(
        N_("Slow down a little"),
        N_("Mailroom has not sent the message yet."),
        N_("{mailbox} may send {limit} messages a minute and that limit is reached."),
        N_("Mailroom sends the rest automatically as the limit allows; nothing is lost."),
        N_("Nobody: it resolves itself."),
        retry=True,
    ),
    "recipient_quota": _Entry(
        N_("{mailbox} has reached its daily recipient limit"),
        N_("Mailroom did not send the message."),
        N_(
            "Exchange lets a mailbox send to at most {limit} recipients in any 24 hours. "
            "{mailbox} has sent to {used} in the last 24 hours, and this message has {count}; "
            "sending it now would pass the limit, and Exchange would then block the mailbox "
            "from sending anything for 24 hours."
        ),
        N_(
            "Send it after {fits_at} (UTC), when enough of the last day's recipients have left the "
            "window, or send it from another sender."
        ),
        N_("You."),
        retry=True,
    ),
    "recipient_quota_message": _Entry(
        N_("More recipients than {mailbox} may send to in a day"),
        N_("Mailroom did not send the message."),
        N_(
            "The message has {count} recipients; Exchange lets a mailbox send to at most {limit} "
            "in any 24 hours, so it can never go out as one message."
        ),
        N_(
            "Split the recipients into smaller messages (a bulk send), or use a distribution list "
            "(it counts as one recipient)."
        ),
        N_("You."),
    ),
    "approval_always": _Entry(
        N_("Approval needed"),
        N_("The message waits for approval."),
        N_("Every message from {mailbox} is approved before it is sent."),
        N_("Request approval; an approver decides from a card in Teams."),
        N_("An approver for {mailbox}."),
    ),
    "approval_external": _Entry(
        N_("Approval needed for external recipients"),
        N_("The message waits for approval."),
        N_(
            "Messages from {mailbox} to people outside the organisation are approved first "
            "({external})."
        ),
        N_("Request approval, or send only to internal recipients."),
        N_("An approver for {mailbox}."),
    ),
    "approval_over_recipients": _Entry(
        N_("Approval needed for large sends"),
        N_("The message waits for approval."),
        N_(
            "Messages from {mailbox} to more than {limit} recipients are approved first; this one "
            "has {count}."
        ),
        N_("Request approval, or send to fewer recipients."),
        N_("An approver for {mailbox}."),
    ),
    "unknown_sender": _Entry(
        N_("{mailbox} is not a sender you can use"),
        N_("Mailroom did not start a message."),
        N_(
            "{mailbox} is not configured in Mailroom, and Exchange does not say you may send as it."
        ),
        N_(
            "Pick a sender from /senders, or ask the Mailroom admin to add {mailbox} to "
            "mailroom.toml."
        ),
        N_("The Mailroom administrator."),
    ),
    "not_yours": _Entry(
        N_("That card isn't yours"),
        N_("Mailroom did nothing."),
        N_("The card belongs to another person's message, or to a message that no longer exists."),
        N_("Start your own with /send."),
        N_("You."),
    ),
    "no_approvers": _Entry(
        N_("Nobody can approve this"),
        N_("Mailroom did not request approval."),
        N_(
            "Sends from {mailbox} need approval, but its approvers group has no one who may "
            "approve your request."
        ),
        N_(
            "The Mailroom admin adds approvers to the group named in `approvers_group` for "
            "{mailbox}."
        ),
        N_("The Mailroom administrator, or the group's owner."),
    ),
    "not_an_approver": _Entry(
        N_("You can't approve this"),
        N_("Mailroom did not record your decision."),
        N_("You are not (or no longer) in the approvers group for {mailbox}."),
        N_("Ask the group's owner to add you, or leave the decision to an approver."),
        N_("The approvers group's owner."),
    ),
    "self_approval": _Entry(
        N_("You can't approve your own request"),
        N_("Mailroom did not record your decision."),
        N_("Policy requires a second person to approve sends from {mailbox}."),
        N_("Another approver decides; you can cancel the request while it waits."),
        N_("Another approver."),
    ),
    "approval_expired": _Entry(
        N_("The approval request expired"),
        N_("Nothing was sent."),
        N_("No approver decided before the request expired."),
        N_("Send it again with /send if it is still needed."),
        N_("You."),
    ),
    # --- Graph errors at send time -----------------------------------------------------
    "ErrorSendAsDenied": _Entry(
        N_("Exchange refused to send as {mailbox}"),
        N_("Exchange did not accept the message (Graph request {request_id})."),
        N_(
            "Exchange says you ({user}) do not have the right to send as or on behalf of "
            "{mailbox}. If the right was granted recently, it may not have applied yet."
        ),
        N_(
            "An Exchange admin grants Send As (`Add-RecipientPermission {mailbox} -Trustee {user} "
            "-AccessRights SendAs`) or Send on Behalf. {propagation}"
        ),
        N_("An Exchange administrator."),
    ),
    "ErrorAccessDenied": _Entry(
        N_("Access to {mailbox} was denied"),
        N_("Microsoft Graph refused the request (Graph request {request_id})."),
        N_(
            "The Mailroom app is not allowed to send from {mailbox}: its Mail.Send permission is "
            "limited by Exchange RBAC for Applications (or an application access policy) to other "
            "mailboxes, or the permission was not consented."
        ),
        N_(
            "An Exchange admin adds {mailbox} to the app's management scope "
            "(`New-ManagementScope` / `Set-ManagementScope`, then the `Application Mail.Send` "
            "role assignment), or an Entra admin grants consent. See docs/deploy.md."
        ),
        N_("An Exchange administrator or an Entra ID administrator."),
    ),
    "access_denied_app_create": _Entry(
        N_("The Mailroom app may not write to {mailbox}"),
        N_(
            "Mailroom did not send the message: Microsoft Graph refused to create it in {mailbox} "
            "(Graph request {request_id})."
        ),
        N_(
            "Mailroom creates each message as a draft in {mailbox} before sending it. That needs "
            "the Exchange RBAC for Applications role `Application Mail.ReadWrite` for the Mailroom "
            "app, with a management scope that holds {mailbox}; one of the two is missing."
        ),
        N_(
            "An Exchange admin assigns `Application Mail.ReadWrite` to the app with the scope "
            'docs/deploy.md names (`New-ManagementRoleAssignment -App <app id> -Role "Application '
            'Mail.ReadWrite" -CustomResourceScope "Mailroom application senders"`) and marks '
            "{mailbox} for that scope (`Set-Mailbox -CustomAttribute15 mailroom-app-sender`). "
            "`mailroom doctor` shows which is missing."
        ),
        N_("An Exchange administrator."),
    ),
    "access_denied_delegated_create": _Entry(
        N_("Microsoft Graph refused to create the message for you"),
        N_("Mailroom did not send the message (Graph request {request_id})."),
        N_(
            "Mailroom sends from {mailbox} with your own sign-in, and creates each message as a "
            "draft first. The Mailroom app has not been granted the delegated permission "
            "`Mail.ReadWrite` (`Mail.ReadWrite.Shared` for a mailbox other than your own), or its "
            "admin consent is missing, so Graph refuses it for everyone."
        ),
        N_(
            "An Entra admin adds the Microsoft Graph delegated permission to the Mailroom app "
            "(App registrations → Mailroom → API permissions) and grants admin consent, as "
            "docs/deploy.md lists; `mailroom doctor` checks it."
        ),
        N_("An Entra ID administrator."),
    ),
    "access_denied_delegated_send": _Entry(
        N_("Microsoft Graph refused to send the message for you"),
        N_("Mailroom did not send the message (Graph request {request_id})."),
        N_(
            "Mailroom sends from {mailbox} with your own sign-in. The Mailroom app has not been "
            "granted the delegated permission `Mail.Send` (`Mail.Send.Shared` for a mailbox other "
            "than your own), or its admin consent is missing, so Graph refuses it for everyone."
        ),
        N_(
            "An Entra admin adds the Microsoft Graph delegated permission to the Mailroom app "
            "(App registrations → Mailroom → API permissions) and grants admin consent, as "
            "docs/deploy.md lists; `mailroom doctor` checks it."
        ),
        N_("An Entra ID administrator."),
    ),
    "app_directory_denied": _Entry(
        N_("The Mailroom app may not read your organisation's directory"),
        N_(
            "Mailroom could not check who you are and what you may send: Microsoft Graph refused "
            "the app ({code}, Graph request {request_id})."
        ),
        N_(
            "Every decision reads the requester and the senders with the app's own token (`GET "
            "/users/<id>`) and checks their groups. That needs the Microsoft Graph application "
            "permissions `User.Read.All` and `GroupMember.Read.All` with admin consent; one of "
            "them is missing."
        ),
        N_(
            "An Entra admin adds the missing application permission to the Mailroom app (App "
            "registrations → Mailroom → API permissions) and grants admin consent, as "
            "docs/deploy.md lists; `mailroom doctor` names the one that is missing."
        ),
        N_("An Entra ID administrator."),
    ),
    "ErrorInvalidRecipients": _Entry(
        N_("Some recipient addresses are not valid"),
        N_("Exchange did not accept the message (Graph request {request_id})."),
        N_("At least one recipient address was rejected by Exchange."),
        N_("Check the addresses for typos and try again."),
        N_("You."),
    ),
    "content_changed": _Entry(
        N_("The email changed after it was checked"),
        N_("Mailroom did not send it."),
        N_(
            "What is stored to be sent — its text or one of its files — is no longer what was "
            "previewed and approved, so the approval does not cover it."
        ),
        N_(
            "Start the send again with the files you mean to send; it will be checked (and "
            "approved) afresh."
        ),
        N_("You."),
    ),
    "attachment_unavailable": _Entry(
        N_("A file of this email is no longer stored"),
        N_("Mailroom did not send it."),
        N_("The bytes of one of its files are gone (removed by retention, or never stored)."),
        N_("Start the send again and attach the files anew."),
        N_("You."),
    ),
    "no_compose_open": _Entry(
        N_("No email to attach this to"),
        N_("Mailroom kept nothing of the file."),
        N_(
            "Files sent in this chat go onto the email you are writing, and none is open (or it "
            "was already previewed)."
        ),
        N_(
            "Start one with /send, pick the template, then send the file here; to change a "
            "previewed email, choose Edit first."
        ),
        N_("You."),
    ),
    "ErrorMessageSizeExceeded": _Entry(
        N_("The message is too large"),
        N_("Exchange did not accept the message (Graph request {request_id})."),
        N_("The message is larger than the organisation's size limit."),
        N_("Remove or shrink attachments and try again."),
        N_("You, or an Exchange administrator (message size limits)."),
    ),
    "ErrorQuotaExceeded": _Entry(
        N_("{mailbox} is full"),
        N_("Exchange did not accept the message (Graph request {request_id})."),
        N_("The mailbox has reached its storage quota, so it cannot store the sent copy."),
        N_("The mailbox owner deletes old items, or an admin raises the quota."),
        N_("The mailbox owner or an Exchange administrator."),
    ),
    "ErrorItemNotFound": _Entry(
        N_("Mailroom couldn't open {mailbox}"),
        N_("Exchange did not accept the message (Graph request {request_id})."),
        N_(
            'Exchange answered "The specified object was not found in the store." For another '
            "person's or a shared mailbox that almost always means a missing right, not a missing "
            "mailbox: the account sending ({user}) lacks Full Access to {mailbox} (or Send As), "
            "or, for a sender in application mode, the Mailroom app's Exchange role assignment "
            "does not cover {mailbox}."
        ),
        N_(
            "An Exchange admin grants Full Access under Recipients → Mailboxes → {mailbox} → "
            "Delegation → Read and manage, or runs `Add-MailboxPermission {mailbox} -User {user} "
            "-AccessRights FullAccess -InheritanceType All` (and Send As, if missing); for an "
            "application-mode sender, adds {mailbox} to the app's management scope "
            "(docs/deploy.md). {propagation}"
        ),
        N_("An Exchange administrator."),
    ),
    "item_not_found": _Entry(
        N_("The message was no longer in {mailbox}"),
        N_("Mailroom did not send the message (Graph request {request_id})."),
        N_(
            'Exchange answered "The specified object was not found in the store." for the draft '
            "Mailroom had just created in the mailbox's own Drafts: it was deleted or moved "
            "before it could be sent."
        ),
        N_("Send it again."),
        N_("You."),
        retry=True,
    ),
    "ErrorInvalidUser": _Entry(
        N_("{mailbox} does not exist"),
        N_("Microsoft Graph could not find the mailbox (Graph request {request_id})."),
        N_("There is no mailbox {mailbox} in the organisation, or it was removed."),
        N_("The Mailroom admin corrects or removes this sender in mailroom.toml."),
        N_("The Mailroom administrator."),
    ),
    "MailboxNotEnabledForRESTAPI": _Entry(
        N_("{mailbox} can't be used through Microsoft Graph"),
        N_("Microsoft Graph refused the request (Graph request {request_id})."),
        N_("The mailbox is inactive, soft-deleted or hosted on-premises."),
        N_("An Exchange admin restores or migrates the mailbox to Exchange Online."),
        N_("An Exchange administrator."),
    ),
    "TooManyRequests": _Entry(
        N_("Exchange asked Mailroom to slow down"),
        N_("The message has not been sent yet (Graph request {request_id})."),
        N_("Exchange limits how fast one app may send from one mailbox."),
        N_("Nothing: Mailroom waits as Exchange asks and sends it."),
        N_("Nobody: it resolves itself."),
        retry=True,
    ),
    "ServiceUnavailable": _Entry(
        N_("Microsoft 365 is busy"),
        N_("The message has not been sent yet (Graph request {request_id})."),
        N_("Exchange answered that it is temporarily unavailable."),
        N_("Try again in a few minutes."),
        N_("Nobody: it resolves itself."),
        retry=True,
    ),
    "InvalidAuthenticationToken": _Entry(
        N_("Mailroom's sign-in to Microsoft 365 failed"),
        N_("Microsoft Graph refused Mailroom's token (Graph request {request_id})."),
        N_("The token was expired or not valid for Microsoft Graph."),
        N_(
            "Try again; if it persists, the Mailroom admin checks the app registration "
            "(`mailroom doctor`)."
        ),
        N_("The Mailroom administrator."),
        retry=True,
    ),
    "consent_required": _Entry(
        N_("Please sign in again"),
        N_("Mailroom could not act for you."),
        N_("Microsoft Entra ID needs you to sign in again or consent to Mailroom's permissions."),
        N_("Sign in when Mailroom asks; if it keeps asking, an Entra admin grants admin consent."),
        N_("You, or an Entra ID administrator."),
        retry=True,
    ),
    "admin_consent_missing": _Entry(
        N_("Mailroom needs an administrator's consent"),
        N_("Mailroom did not send anything."),
        N_(
            "Microsoft Entra ID says nobody has consented to the permissions Mailroom needs to "
            "send as you, so signing in again would not help. Mailroom needs these Microsoft Graph "
            "delegated permissions, each with admin consent: User.Read, openid, profile, "
            "offline_access, Mail.Send, Mail.ReadWrite, Mail.Send.Shared and "
            "Mail.ReadWrite.Shared; one of them is missing or not consented."
        ),
        N_(
            "An Entra administrator opens Entra admin center → App registrations → Mailroom → API "
            "permissions, adds any of them that is not listed (Add a permission → Microsoft Graph "
            "→ Delegated permissions; openid, profile and offline_access are under OpenId "
            "permissions), then selects Grant admin consent for the organisation (docs/deploy.md "
            "step 2; `mailroom doctor` names the missing one). Then select Send again."
        ),
        N_("An Entra ID administrator."),
        retry=True,
    ),
    "sign_in_not_set_up": _Entry(
        N_("Signing in to Mailroom is not set up"),
        N_("Mailroom did not send anything."),
        N_(
            "This sender sends with your own sign-in, and Microsoft Entra ID refused it because "
            "Mailroom's sign-in is not set up in your organisation ({problem}). Missing: "
            "{missing}. Signing in again would not help."
        ),
        N_(
            "An administrator fixes it: {fix}. Then select Send again. `mailroom doctor` checks "
            "every step."
        ),
        N_("An Entra ID administrator (the OAuth connection: whoever manages the Azure Bot)."),
        retry=True,
    ),
    "sign_in_did_not_finish": _Entry(
        N_("Signing in to Mailroom did not finish"),
        N_("Mailroom did not send anything: it still has no sign-in from you."),
        N_(
            "Teams asked you to sign in and no sign-in reached Mailroom. If the sign-in window "
            "showed an error (AADSTS…), Mailroom's sign-in is not set up in your organisation; "
            "one of these is usually missing: {missing}."
        ),
        N_(
            "Select Send again and finish signing in. If the sign-in window shows an error, an "
            "administrator checks these steps (`mailroom doctor` names the missing one):\n{fix}"
        ),
        N_("You; if signing in fails, an Entra ID administrator."),
        retry=True,
    ),
    "maybe_sent": _Entry(
        N_("Checking whether the message went out"),
        N_("The connection to Microsoft 365 broke after the message was handed over."),
        N_(
            "It may or may not have been sent; Mailroom never sends twice, so it looks in "
            "{mailbox}'s Sent Items before doing anything else."
        ),
        N_("Nothing: Mailroom reconciles and updates this card."),
        N_("Nobody."),
    ),
    "outcome_unknown": _Entry(
        N_("Sent or not? Check the Sent Items of {mailbox}"),
        N_("Mailroom could not find out whether this message went out."),
        N_(
            "Microsoft 365 took the message, or may have, and did not show where it went in time. "
            "Mailroom never sends a message twice, so it did not send it again."
        ),
        N_("Look in the Sent Items of {mailbox}: if the message is not there, send it anew."),
        N_("You, or someone with access to {mailbox}."),
    ),
    "draft_deleted": _Entry(
        N_("The message was deleted before it went out"),
        N_("Its draft disappeared from {mailbox} before it was sent: nothing was sent."),
        N_("Someone with access to {mailbox} deleted the draft Mailroom had prepared there."),
        N_("Retry to prepare and send it again."),
        N_("You."),
        retry=True,
    ),
    "temporarily_unavailable": _Entry(
        N_("Mailroom is temporarily unavailable"),
        N_("Your request was not lost, but it could not be processed right now."),
        N_("A service Mailroom depends on did not answer ({problem})."),
        N_("Try again in a minute."),
        N_("Nobody, usually; otherwise the Mailroom administrator."),
        retry=True,
    ),
    "unknown": _Entry(
        N_("Something went wrong sending from {mailbox}"),
        N_("Microsoft Graph answered {status} {code} (Graph request {request_id})."),
        N_("Mailroom does not have a specific explanation for this error."),
        N_("Try again; if it persists, give the Graph request id to your Mailroom admin."),
        N_("The Mailroom administrator."),
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
    values.setdefault("propagation", _(_PROPAGATION))
    fmt = Formatter()

    def fill(text: str) -> str:
        return fmt.vformat(_(text), (), values)  # translated first: the catalogue has {names}

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
        title=_("{title} (and {count} more to fix)", title=first.title, count=len(parts) - 1),
        why=" ".join(dict.fromkeys(p.why for p in parts if p.why)),
        fix="\n".join(f"{n}. {fix}" for n, fix in enumerate(fixes, 1)),
        who=" {} ".format(_("Also:")).join(dict.fromkeys(p.who for p in parts if p.who)),
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
