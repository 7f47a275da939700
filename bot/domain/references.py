"""Short request references, ``MR-7F3K``: what cards show and ``/status`` and ``/cancel``
accept, so nobody types a 32-character id. The full id stays everywhere else (store,
audit, logs).

A reference is derived from the id, never stored: its first 20 bits (five hex digits)
in Crockford's base32 (https://www.crockford.com/base32.html — digits and capitals without
I, L, O and U, so it reads aloud and survives a misread: O is 0, I and L are 1). Derived
means two requests may share one (someone with a thousand requests has even odds of one
shared pair); a lookup finds every request of that person with it and lets them pick.
"""

from __future__ import annotations

PREFIX = "MR-"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_MISREAD = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CHARS = 4
_HEX_DIGITS = 5  # 4 base32 characters = 20 bits = 5 hex digits
_HEX = frozenset("0123456789abcdef")


def reference_of(request_id: str) -> str:
    """``MR-`` and four characters for a request id (lower-case hex, as the store makes)."""
    head = request_id[:_HEX_DIGITS].lower()
    if len(head) < _HEX_DIGITS or not set(head) <= _HEX:
        return PREFIX + request_id[:8].upper()  # not an id the store made: shown as it is
    bits = int(head, 16)
    chars = [_ALPHABET[(bits >> shift) & 31] for shift in range(5 * (_CHARS - 1), -1, -5)]
    return PREFIX + "".join(chars)


def id_prefix_of(text: str) -> str | None:
    """The five hex digits every id with reference ``text`` starts with, or None when
    ``text`` is not a reference. Any case; ``MR-`` optional; O read as 0, I and L as 1."""
    wanted = text.strip().upper()
    if wanted.startswith(PREFIX):
        wanted = wanted[len(PREFIX) :]
    elif wanted.startswith("MR") and len(wanted) == 2 + _CHARS:
        wanted = wanted[2:]
    wanted = wanted.translate(_MISREAD)
    if len(wanted) != _CHARS or not all(ch in _ALPHABET for ch in wanted):
        return None
    bits = 0
    for ch in wanted:
        bits = bits << 5 | _ALPHABET.index(ch)
    return f"{bits:0{_HEX_DIGITS}x}"
