"""Recipient lists as people type them, and bulk CSV rows, parsed and validated.

Addresses are checked with ``email-validator`` (never DNS); every problem is collected so
the card can show them all at once next to the right field.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from email.utils import getaddresses
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from bot.errors import FieldError
from bot.i18n import _

MAX_RECIPIENTS_PER_MESSAGE = 500
MAX_BULK_ROWS = 2_000
FILES_COLUMN = "files"
"""The optional CSV column naming each row's own files (in the zip sent in the chat),
separated by ``;``."""


def address_entries(raw: str) -> list[tuple[str, str]]:
    """``(display name, address)`` for each entry of a list as Outlook copies it:
    ``"Doe, John" <john@contoso.com>; Jane Roe <jane@contoso.com>``. The standard library's
    RFC 5322 parser reads it (a comma inside quotes stays in the name); Outlook's
    separators, semicolons and line breaks, become the commas that parser expects first —
    but only outside quotes, angle brackets and comments."""
    return [entry for entry in getaddresses([_commas(raw or "")]) if any(entry)]


@lru_cache(maxsize=4096)
def _normalised(candidate: str) -> str | None:
    """The address as ``email_validator`` normalises it, None when it is not one. Kept for
    the addresses seen last: every compose step parses the same recipients again, and
    validating one costs about as much as building a card line."""
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _commas(raw: str) -> str:
    out: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for char in raw:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or comment):
            escaped = True
        elif char == '"' and not comment:
            quoted = not quoted
        elif not quoted:
            if char == "(":
                comment += 1
            elif char == ")" and comment:
                comment -= 1
            elif char == "<" and not comment:
                angle += 1
            elif char == ">" and angle and not comment:
                angle -= 1
            elif char in ";\n\r" and not angle and not comment:
                out.append(",")
                continue
        out.append(char)
    return "".join(out)


def parse_addresses(raw: str, field: str) -> tuple[tuple[str, ...], list[FieldError]]:
    """``a@x.com, "Doe, John" <b@y.com>; c@z.com`` → normalised, de-duplicated addresses
    (display names dropped: Graph gets the address, Exchange adds the directory's name)."""
    addresses: list[str] = []
    errors: list[FieldError] = []
    for name, candidate in address_entries(raw):
        normalised = _normalised(candidate)
        if normalised is None:
            shown = f"{name} <{candidate}>" if name and candidate else name or candidate
            errors.append(
                FieldError(
                    field,
                    _("“{entry}” is not an email address", entry=shown[:80]),
                    "name@example.com",
                )
            )
            continue
        lowered = normalised.lower()
        if lowered not in addresses:
            addresses.append(lowered)
    if len(addresses) > MAX_RECIPIENTS_PER_MESSAGE:
        errors.append(
            FieldError(
                field,
                _(
                    "{count} addresses; one message takes at most {limit}",
                    count=len(addresses),
                    limit=MAX_RECIPIENTS_PER_MESSAGE,
                ),
                _("fewer addresses, or a bulk CSV with one row per recipient"),
            )
        )
    return tuple(addresses), errors


@dataclass(frozen=True)
class BulkRow:
    """One CSV row: ``values`` holds a cell for every variable column (empty cells too);
    ``problems`` what is wrong with the row itself (its address, its cell count)."""

    line: int
    recipient: str
    values: dict[str, str]
    problems: tuple[str, ...] = ()
    files: tuple[str, ...] = ()  # the row's own files, by their names in the zip


@dataclass(frozen=True)
class BulkSheet:
    columns: tuple[str, ...]  # the template variables the CSV supplies, in header order
    rows: tuple[BulkRow, ...]


NO_SHEET = BulkSheet((), ())


def parse_bulk_csv(
    raw: str, variables: tuple[str, ...], field: str
) -> tuple[BulkSheet, list[FieldError]]:
    """First row = column names: ``email`` (the recipient) and template variable names.
    Problems with the sheet as a whole come back as errors; a row's own problems stay on
    the row (``BulkRow.problems``) so the caller can list them with its cells', row by row."""
    text = raw.strip()
    if not text:
        return NO_SHEET, []
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as error:
        return NO_SHEET, [
            FieldError(field, _("not valid CSV: {error}", error=error), _("comma-separated rows"))
        ]
    header = [h.strip().lower() for h in rows[0]]
    errors: list[FieldError] = []
    if "email" not in header:
        return NO_SHEET, [
            FieldError(
                field, _("the first row needs an “email” column"), "email," + ",".join(variables)
            )
        ]
    unknown = [h for h in header if h not in ("email", FILES_COLUMN) and h not in variables]
    if unknown:
        errors.append(
            FieldError(
                field,
                _("unknown column(s): {columns}", columns=", ".join(unknown)),
                _(
                    "email, files (each row's files in the zip sent in the chat) and the "
                    "template's variables: {variables}",
                    variables=", ".join(variables),
                ),
            )
        )
    if len(rows) - 1 > MAX_BULK_ROWS:
        return NO_SHEET, [
            FieldError(field, _("more than {count} rows", count=MAX_BULK_ROWS), _("a smaller list"))
        ]
    columns = tuple(h for h in header if h in variables)
    parsed: list[BulkRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            parsed.append(
                BulkRow(
                    number,
                    "",
                    {},
                    (
                        _(
                            "{count} cells, expected {expected}",
                            count=len(row),
                            expected=len(header),
                        ),
                    ),
                )
            )
            continue
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        values = {k: v for k, v in cells.items() if k in columns}
        address, problems = parse_addresses(cells["email"], field)
        if problems or len(address) != 1:
            parsed.append(BulkRow(number, "", values, (_("column email: not one valid address"),)))
        elif address[0] in seen:
            parsed.append(
                BulkRow(number, "", values, (_("{address} appears twice", address=address[0]),))
            )
        else:
            seen.add(address[0])
            named = cells.get(FILES_COLUMN, "")
            files = tuple(n.strip() for n in named.split(";") if n.strip())
            parsed.append(BulkRow(number, address[0], values, files=files))
    if not parsed and not errors:
        errors.append(FieldError(field, _("no rows after the header"), _("one row per recipient")))
    return BulkSheet(columns, tuple(parsed)), errors
