"""The one-line /send that ``/templates <name>`` offers reads back, through the real
parser, to exactly the values it shows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.teams.command_parser import QUOTES, Command, parse
from bot.teams.template_guide import example_of, quoted, ready_command
from tests.support.templates import shipped_catalog

CATALOG = shipped_catalog()


@pytest.mark.parametrize("name", CATALOG.names())
def test_every_templates_ready_command_parses_to_its_examples(name: str) -> None:
    template = CATALOG.get(name)
    result = parse(ready_command(template, "support", "adele.vance@contoso.com"))
    assert isinstance(result, Command)
    assert result.fast is not None
    assert (result.fast.sender, result.fast.template) == ("support", name)
    assert result.fast.to == ("adele.vance@contoso.com",)
    needed = {v.name for v in template.variables if v.required or v.sample}
    assert result.fast.values == {
        v.name: example_of(v) for v in template.variables if v.name in needed
    }
    assert all(result.fast.values.values())  # every required variable has a value


def test_a_multi_line_sample_becomes_one_line() -> None:
    message = CATALOG.get("ticket-reply").variable("message")
    assert message is not None
    assert "\n" not in example_of(message)
    assert example_of(message).startswith("Thanks for your patience")


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1))
def test_any_value_survives_quoting(value: str) -> None:
    value = " ".join(value.split()) or "x"
    result = parse(f"/send from:support note={quoted(value)}")
    assert isinstance(result, Command)
    assert result.fast is not None
    assert result.fast.values == {"note": value.translate(QUOTES)}  # curly quotes read as "
