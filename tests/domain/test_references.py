"""Short request references: derived from the id, read back in any case, misreadings
forgiven, nothing else taken for one."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.references import id_prefix_of, reference_of

_IDS = st.text(alphabet="0123456789abcdef", min_size=32, max_size=32)
_SHAPE = re.compile(r"^MR-[0-9A-HJKMNP-TV-Z]{4}$")


@given(_IDS)
def test_a_reference_is_four_readable_characters_that_lead_back_to_its_id(request_id: str) -> None:
    reference = reference_of(request_id)
    assert _SHAPE.match(reference)
    assert reference == reference_of(request_id)  # derived, so always the same
    assert id_prefix_of(reference) == request_id[:5]
    assert id_prefix_of(reference.lower()) == request_id[:5]
    assert id_prefix_of(reference.removeprefix("MR-")) == request_id[:5]


@given(_IDS, _IDS)
def test_ids_that_differ_in_their_first_five_digits_have_different_references(
    a: str, b: str
) -> None:
    assert (reference_of(a) == reference_of(b)) == (a[:5] == b[:5])


def test_a_known_id_has_a_known_reference() -> None:
    assert reference_of("7f3a9c" + "0" * 26) == "MR-FWX9"
    assert reference_of("00000" + "f" * 27) == "MR-0000"


@pytest.mark.parametrize(
    ("typed", "prefix"),
    [("mr-fwxq", "7f3b7"), ("MR-FWXO", "7f3a0"), ("mr-1il0", "08420"), ("MRFWX9", "7f3a9")],
)
def test_references_are_read_in_any_case_with_misread_letters_forgiven(
    typed: str, prefix: str
) -> None:
    assert id_prefix_of(typed) == prefix


@pytest.mark.parametrize("typed", ["", "MR-", "MR-7F3", "MR-7F3KK", "MR-7F3U", "7f3a9c", "#1"])
def test_nothing_else_is_taken_for_a_reference(typed: str) -> None:
    assert id_prefix_of(typed) is None
