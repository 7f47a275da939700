"""Recipient lists as people type them, and bulk CSV rows, parsed and validated.

Addresses are checked with ``email-validator`` (never DNS); every problem is collected so
the card can show them all at once next to the right field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from bot.errors import FieldError

MAX_RECIPIENTS_PER_MESSAGE = 500
MAX_BULK_ROWS = 2_000
_SPLIT = re.compile(r"[,;\n\r]+")
_ANGLE = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]+)>\s*$")


def parse_addresses(raw: str, field: str) -> tuple[tuple[str, ...], list[FieldError]]:
    """``a@x.com, B <b@y.com>; c@z.com`` → normalised, de-duplicated addresses."""
    addresses: list[str] = []
    errors: list[FieldError] = []
    for part in _SPLIT.split(raw or ""):
        item = part.strip()
        if not item:
            continue
        match = _ANGLE.match(item)
        candidate = match.group("address").strip() if match else item
        try:
            normalised = validate_email(candidate, check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append(
                FieldError(field, f"“{item[:80]}” is not an email address", "name@example.com")
            )
            continue
        lowered = normalised.lower()
        if lowered not in addresses:
            addresses.append(lowered)
    if len(addresses) > MAX_RECIPIENTS_PER_MESSAGE:
        errors.append(
            FieldError(
                field,
                f"{len(addresses)} addresses; one message takes at most "
                f"{MAX_RECIPIENTS_PER_MESSAGE}",
                "fewer addresses, or a bulk CSV with one row per recipient",
            )
        )
    return tuple(addresses), errors


@dataclass(frozen=True)
class BulkRow:
    line: int
    recipient: str
    values: dict[str, str]


def parse_bulk_csv(
    raw: str, variables: tuple[str, ...], field: str
) -> tuple[list[BulkRow], list[FieldError]]:
    """First row = column names: ``email`` (the recipient) and template variable names.
    Errors are reported by row and column."""
    text = raw.strip()
    if not text:
        return [], []
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as error:
        return [], [FieldError(field, f"not valid CSV: {error}", "comma-separated rows")]
    header = [h.strip().lower() for h in rows[0]]
    errors: list[FieldError] = []
    if "email" not in header:
        return [], [
            FieldError(
                field, "the first row needs an “email” column", "email," + ",".join(variables)
            )
        ]
    unknown = [h for h in header if h != "email" and h not in variables]
    if unknown:
        errors.append(
            FieldError(
                field,
                f"unknown column(s): {', '.join(unknown)}",
                "email and the template's variables: " + ", ".join(variables),
            )
        )
    if len(rows) - 1 > MAX_BULK_ROWS:
        return [], [FieldError(field, f"more than {MAX_BULK_ROWS} rows", "a smaller list")]
    parsed: list[BulkRow] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            errors.append(
                FieldError(field, f"row {number}: {len(row)} cells, expected {len(header)}")
            )
            continue
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        address, problems = parse_addresses(cells.pop("email"), field)
        if problems or len(address) != 1:
            errors.append(FieldError(field, f"row {number}, column email: not one valid address"))
            continue
        if address[0] in seen:
            errors.append(FieldError(field, f"row {number}: {address[0]} appears twice"))
            continue
        seen.add(address[0])
        parsed.append(BulkRow(number, address[0], {k: v for k, v in cells.items() if k != "email"}))
    if not parsed and not errors:
        errors.append(FieldError(field, "no rows after the header", "one row per recipient"))
    return parsed, errors
