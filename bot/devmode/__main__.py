"""``python -m bot.devmode [options]`` is ``mailroom dev [options]``."""

from __future__ import annotations

import argparse
import sys

from bot.cli_commands import dev


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.devmode")
    dev.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dev", *sys.argv[1:]])
    return dev.run(args)


if __name__ == "__main__":
    sys.exit(main())
