"""``python -m bench [--quick]``: every benchmark; see bench/cli.py and docs/benchmarks.md."""

from __future__ import annotations

import sys

from bench.cli import main

sys.exit(main())
