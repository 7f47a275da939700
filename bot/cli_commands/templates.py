"""``mailroom templates``: list, check and preview the email templates.

* ``mailroom templates list [--variables]``
* ``mailroom templates check`` — loads every template and renders it with its sample values
  for every sender kind; prints each problem as ``file:line: problem`` and exits 1 if any.
* ``mailroom templates preview NAME [--var k=v ...] [--sender ADDR] [--kind KIND]
  [--out FILE.html] [--text]`` — values not given fall back to the template's samples
  (``--no-samples`` turns that off); a ``--sender`` configured in mailroom.toml (``--config``,
  else ``MAILROOM_CONFIG``) brings its kind, name and no-reply footer.

Every action takes ``--templates-dir DIR`` (default: ``./templates``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.errors import ConfigError, TemplateError, TemplateLoadError, ValuesInvalid
from bot.flow.send_flow import render_sender
from bot.policy.loader import load_policy
from bot.rendering import (
    SENDER_KINDS,
    RenderedEmail,
    RenderSender,
    TemplateCatalog,
    check_templates,
)
from bot.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--templates-dir",
        type=Path,
        default=Path("templates"),
        metavar="DIR",
        help="the templates folder (default: ./templates)",
    )
    parser = sub.add_parser("templates", help="list, check and preview email templates")
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="templates_action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[common], help="list the templates")
    listing.add_argument("--variables", action="store_true", help="also list each variable")

    actions.add_parser(
        "check",
        parents=[common],
        help="load every template and render it with its samples for every sender kind",
    )

    preview = actions.add_parser("preview", parents=[common], help="render one template")
    preview.add_argument("name", help="the template's name (see `mailroom templates list`)")
    preview.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a variable's value (repeatable); others use the template's samples",
    )
    preview.add_argument("--no-samples", action="store_true", help="do not fill in samples")
    preview.add_argument(
        "--sender",
        default=None,
        metavar="ADDR",
        help="the sending mailbox; a sender configured in mailroom.toml brings its kind, "
        "name and no-reply footer (default: preview@contoso.com, your own mailbox)",
    )
    preview.add_argument("--display-name", default=None, help="the sender's display name")
    preview.add_argument(
        "--kind", choices=SENDER_KINDS, default=None, help="sender kind (overrides mailroom.toml)"
    )
    preview.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="the policy file with the senders (default: MAILROOM_CONFIG or ./mailroom.toml)",
    )
    preview.add_argument("--footer-text", default=None, help="no-reply footer wording")
    preview.add_argument("--help-contact", default=None, help="no-reply 'For help' contact")
    preview.add_argument("--out", type=Path, default=None, metavar="FILE.html")
    preview.add_argument("--text", action="store_true", help="print the text part instead")


def run(args: argparse.Namespace) -> int:
    action = args.templates_action
    if action == "list":
        return _list(args)
    if action == "check":
        return _check(args)
    return _preview(args)


def _error(message: str) -> None:
    print(message, file=sys.stderr)


def _load(directory: Path) -> TemplateCatalog | None:
    try:
        return TemplateCatalog.load(directory)
    except TemplateLoadError as exc:
        _error(f"error: {exc}")
        return None


def _list(args: argparse.Namespace) -> int:
    catalog = _load(args.templates_dir)
    if catalog is None:
        return 1
    width = max(len(n) for n in catalog.names())
    for name in catalog.names():
        template = catalog.get(name)
        print(f"{name:<{width}}  {template.title}")
        if args.variables:
            for v in template.variables:
                need = "required" if v.required else "optional"
                print(f"{'':<{width}}    {v.name} ({v.type.value}, {need}): {v.label}")
    return 0


def _check(args: argparse.Namespace) -> int:
    problems = check_templates(args.templates_dir)
    for problem in problems:
        _error(str(problem))
    if problems:
        _error(f"{len(problems)} problem(s) in {args.templates_dir}")
        return 1
    catalog = TemplateCatalog.load(args.templates_dir)
    names = catalog.names()
    print(
        f"ok: {len(names)} templates ({', '.join(names)}), "
        f"each rendered for {len(SENDER_KINDS)} sender kinds"
    )
    return 0


def _sender(args: argparse.Namespace) -> RenderSender | None:
    """The sender to render for: the configured one when ``--sender`` names a sender of
    mailroom.toml (so a no-reply mailbox gets its footer without ``--kind``), each flag
    given overriding it. None (after saying why) when the policy file is broken."""
    address = (args.sender or "preview@contoso.com").strip()
    configured = None
    if args.sender:
        try:
            path = args.config or Settings.from_env(os.environ, dotenv=Path(".env")).config_path
            if args.config is not None or path.is_file():
                configured = load_policy(path).sender(address)
        except ConfigError as error:
            _error(f"error: {error}")
            return None
    base = (
        render_sender(configured)
        if configured is not None
        else RenderSender(address, address.partition("@")[0], "self")
    )
    if configured is not None:
        _error(f"sender {configured.address} from {path}: {configured.kind.value}")
    return RenderSender(
        address=base.address,
        display_name=args.display_name or base.display_name,
        kind=args.kind or base.kind,
        footer_text=args.footer_text or base.footer_text,
        help_contact=args.help_contact or base.help_contact,
    )


def _preview(args: argparse.Namespace) -> int:
    values: dict[str, str] = {}
    for item in args.var:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _error(f"error: --var wants NAME=VALUE, got {item!r}")
            return 2
        values[key.strip()] = value
    catalog = _load(args.templates_dir)
    if catalog is None:
        return 1
    sender = _sender(args)
    if sender is None:
        return 2
    try:
        if not args.no_samples:
            samples = catalog.get(args.name).sample_values()
            filled = sorted(set(samples) - set(values))
            if filled:
                _error(f"using sample values for: {', '.join(filled)}")
            values = {**samples, **values}
        email = catalog.render(args.name, values, sender)
    except ValuesInvalid as exc:
        for field in exc.errors:
            accepted = f" (accepted: {field.accepted})" if field.accepted else ""
            _error(f"{field.field}: {field.problem}{accepted}")
        return 1
    except TemplateError as exc:
        _error(f"error: {exc}")
        return 1
    _show(args, email)
    return 0


def _show(args: argparse.Namespace, email: RenderedEmail) -> None:
    if args.out is not None:
        args.out.write_text(email.html, encoding="utf-8")
        _error(f"HTML written to {args.out}")
    if args.text:
        print(f"Subject: {email.subject}\n\n{email.text}", end="")
    elif args.out is not None:
        print(f"Subject: {email.subject}")
    else:
        _error(f"Subject: {email.subject}")
        print(email.html)
