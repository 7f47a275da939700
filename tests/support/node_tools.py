"""``npm ci`` in tools/node, once, for the tests that need its packages.

Test workers run at the same time, and two ``npm ci`` in one folder break each other (each
empties node_modules while the other fills it): the install holds a file lock, and whoever
gets it second finds the packages there and installs nothing.
"""

from __future__ import annotations

import fcntl
import subprocess
from collections.abc import Callable
from pathlib import Path


def install_once(npm: str, tools_dir: Path, installed: Callable[[], bool]) -> None:
    """Run ``npm ci`` in ``tools_dir`` unless ``installed()`` says it is done; AssertionError
    with npm's output when it fails."""
    with (tools_dir / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed():
            return
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=tools_dir,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
