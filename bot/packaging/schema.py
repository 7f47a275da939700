"""Validation against Microsoft's own Teams manifest schema.

The schema is not copied into this repository: it comes from the npm package
``@microsoft/app-manifest``, pinned in tools/node/package.json and installed with ``npm ci`` in
tools/node. ``NodeSchemaValidator`` runs tools/node/validate-manifest.mjs (ajv, as the package
itself validates) in a Node.js subprocess. When Node.js or the package is missing it says so as
a problem; it never skips the check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.errors import PackageProblem
from bot.packaging.template import Json

SCRIPT = "validate-manifest.mjs"
PACKAGE = "@microsoft/app-manifest"
TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class SchemaReport:
    """What the official schema said: ``problems`` is empty when the manifest is valid."""

    problems: tuple[PackageProblem, ...]
    schema_file: str = ""
    newest_version: str = ""


class SchemaValidator(Protocol):
    def validate(self, manifest: Json) -> SchemaReport: ...

    def validate_localization(self, strings: Json, manifest_version: str) -> SchemaReport:
        """A localization file (``localizationInfo.additionalLanguages[].file``) against the
        localization schema of that manifest version."""
        ...


def _unavailable(message: str) -> SchemaReport:
    return SchemaReport((PackageProblem("/", message),))


@dataclass(frozen=True)
class NodeSchemaValidator:
    """Validates with ``node tools/node/validate-manifest.mjs``."""

    tools_dir: Path
    node: str | None = None  # the node executable; found on PATH when None

    def validate(self, manifest: Json) -> SchemaReport:
        return self._run(manifest, [])

    def validate_localization(self, strings: Json, manifest_version: str) -> SchemaReport:
        return self._run(strings, ["--localization", manifest_version])

    def _run(self, document: Json, arguments: list[str]) -> SchemaReport:
        node = self.node or shutil.which("node")
        setup = f"install Node.js 20 or newer, then run `npm ci` in {self.tools_dir}"
        if node is None:
            return _unavailable(
                "cannot check the manifest against Microsoft's schema: Node.js (`node`) is not "
                f"installed or not on PATH; {setup}"
            )
        if not (self.tools_dir / "node_modules" / PACKAGE / "package.json").is_file():
            return _unavailable(
                f"cannot check the manifest against Microsoft's schema: the npm package {PACKAGE} "
                f"is not installed in {self.tools_dir}; run `npm ci` there"
            )
        try:
            completed = subprocess.run(  # noqa: S603 - fixed script, manifest on stdin
                [node, str(self.tools_dir / SCRIPT), *arguments],
                input=json.dumps(document),
                capture_output=True,
                text=True,
                cwd=self.tools_dir,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return _unavailable(f"cannot run the schema check with {node}: {exc}")
        if completed.returncode != 0:
            reason = completed.stderr.strip() or f"exit status {completed.returncode}"
            return _unavailable(f"the schema check could not run: {reason}")
        return _parse_report(completed.stdout)


def _parse_report(stdout: str) -> SchemaReport:
    try:
        answer = json.loads(stdout)
        errors = answer["errors"]
        problems = tuple(PackageProblem(str(e["path"]), str(e["message"])) for e in errors)
        return SchemaReport(problems, str(answer["schemaFile"]), str(answer["newestVersion"]))
    except (ValueError, KeyError, TypeError) as exc:
        return _unavailable(f"the schema check gave an answer this version cannot read: {exc}")
