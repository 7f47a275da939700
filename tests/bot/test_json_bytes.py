"""``json_bytes`` writes exactly what the standard library's compact UTF-8 JSON would."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.json_bytes import json_bytes

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=25,
)


def standard(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@given(VALUES)
def test_any_json_value_is_written_as_the_standard_library_writes_it(value: Any) -> None:
    assert json_bytes(value) == standard(value)


def test_controls_separators_and_quotes_are_escaped_the_same_way() -> None:
    tricky = {"t": 'a"b\\c\n\r\t\x00\x1f\x7f\u2028\u2029é\U0001f4e7'}
    assert json_bytes(tricky) == standard(tricky)


def test_what_orjson_declines_is_still_written() -> None:
    for value in ({1: "non-string key"}, {"big": 2**70}):
        assert json_bytes(value) == standard(value)
