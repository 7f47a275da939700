"""``mailroom explain USER SENDER``: the permission decision, each fact and its source."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.cli_commands.serve import load_settings
from bot.domain.explanations import explain
from bot.errors import MailroomError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "explain",
        help="explain whether USER may send as SENDER, with each fact and its source",
        description="For admins: take Mailroom's permission decision for USER (UPN or object "
        "id) and SENDER (address, or its short name), and show every fact behind it.",
    )
    parser.add_argument("user")
    parser.add_argument("sender")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = load_settings(args)
        return asyncio.run(_explain(settings, args.user, args.sender))
    except MailroomError as error:
        print(f"mailroom explain: {error}", file=sys.stderr)
        return 2


async def _explain(settings: object, user_ref: str, sender_ref: str) -> int:
    from bot.services import build_services  # noqa: PLC0415 - heavy imports only when run
    from bot.settings import Settings  # noqa: PLC0415

    assert isinstance(settings, Settings)
    async with build_services(settings) as services:
        user = await services.facts.user(user_ref)
        sender = await services.flow.resolve(user, sender_ref)
        if sender is None:
            print(f"{sender_ref}: not a configured sender, and not discovered for {user.upn}")
            return 1
        rights = await services.facts.rights(user, sender)
        _, decision = await services.facts.decide(user.oid, sender)
    print(f"Decision: {decision.outcome.value.replace('_', ' ').upper()}"
          f"{'' if decision.verified else ' (rights not verified by Exchange)'}")  # fmt: skip
    print(f"  user    {user.display_name} <{user.upn}>  object id {user.oid}  [Microsoft Graph]")
    print(f"  mailbox {'yes' if user.has_mailbox else 'no'}  [Microsoft Graph]")
    groups = "unknown" if user.groups is None else (", ".join(sorted(user.groups)) or "none")
    print(f"  groups named by the policy that the user is in: {groups}  [Microsoft Graph]")
    print(f"  sender  {sender.display_name} <{sender.address}>  kind {sender.kind.value}, "
          f"mode {sender.mode.value}  [mailroom.toml]")  # fmt: skip
    print(f"  rights  Send As {_yn(rights.send_as)}, Full Access {_yn(rights.full_access)}, "
          f"Send on Behalf {_yn(rights.send_on_behalf)}  [{rights.source.value}]")  # fmt: skip
    if rights.problem:
        print(f"          {rights.problem}")
    for reason in decision.reasons:
        print(f"  {reason.effect:8} {reason.text}")
    for reason in decision.denials:
        text = explain(reason.key, **reason.params)
        print(f"\nFix ({reason.key}): {text.fix}\nWho: {text.who}")
    return 0


def _yn(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")
