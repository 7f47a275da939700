"""How big each benchmark is: the full run (``python -m bench``, under 10 minutes on a
2-core machine) and ``--quick`` (about a minute); the smoke test shrinks ``--quick`` further
from the command line."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bench.bulk import BulkConfig
from bench.footprint import FootprintConfig
from bench.turns import TurnConfig


@dataclass(frozen=True)
class BenchConfig:
    quick: bool
    turns: TurnConfig
    bulk: BulkConfig
    footprint: FootprintConfig
    render_iterations: int
    profile: bool = True

    @property
    def users_needed(self) -> int:
        return max(*self.turns.conversations, self.footprint.conversations, self.bulk.clickers)


FULL = BenchConfig(
    quick=False,
    turns=TurnConfig(conversations=(1, 20, 100), turns={1: 500, 20: 50, 100: 12}),
    bulk=BulkConfig(messages=300, per_minute=300, idle_seconds=15.0),
    footprint=FootprintConfig(starts=3, turns=1000),
    render_iterations=2000,
)

QUICK = BenchConfig(
    quick=True,
    turns=TurnConfig(conversations=(1, 20), turns={1: 100, 20: 10}),
    bulk=BulkConfig(messages=60, per_minute=600, idle_seconds=4.0, clickers=2),
    footprint=FootprintConfig(starts=1, turns=200),
    render_iterations=300,
)


def with_conversations(
    config: BenchConfig, conversations: tuple[int, ...], turns: int
) -> BenchConfig:
    """The same run with other numbers of conversations, ``turns`` timed turns each."""
    return replace(
        config,
        turns=replace(
            config.turns, conversations=conversations, turns=dict.fromkeys(conversations, turns)
        ),
    )
