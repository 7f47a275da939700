"""Build the Teams app package: fill the manifest, check it, zip it.

``build_package`` is pure apart from reading the template and icons from ``app_package_dir`` and
asking the injected ``SchemaValidator``; it never reads the environment (the CLI resolves the
options). Every problem is collected before it gives up, so the admin sees them all at once.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import PackageError, PackageProblem
from bot.packaging.checks import (
    Finding,
    PackageFile,
    check_manifest,
    check_public_url,
    load_icons,
)
from bot.packaging.languages import load_languages
from bot.packaging.options import PackageOptions
from bot.packaging.schema import SchemaValidator
from bot.packaging.template import Json, fill, template_values
from bot.teams.commands import COMMANDS, CommandSpec

TEMPLATE_NAME = "manifest.json"
MANIFEST_NAME = "manifest.json"
# Fixed timestamps keep the zip identical for identical input.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class AppPackage:
    """A checked package: the filled manifest and the files at the zip root."""

    manifest: dict[str, Json]
    files: tuple[PackageFile, ...]
    schema_file: str = ""

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in self.files:
                info = zipfile.ZipInfo(item.name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, item.data)
        return buffer.getvalue()


def build_package(
    options: PackageOptions,
    *,
    app_package_dir: Path,
    validator: SchemaValidator,
    commands: Sequence[CommandSpec] = COMMANDS,
) -> AppPackage:
    """Fill ``app_package_dir/manifest.json`` and check it; raises ``PackageError`` listing
    every problem (JSON path + message)."""
    template = _read_template(app_package_dir / TEMPLATE_NAME)
    manifest = fill(template, template_values(options, commands))
    if not isinstance(manifest, dict):
        problem = PackageProblem("/", "appPackage/manifest.json must hold a JSON object")
        raise PackageError([problem])
    findings: list[Finding] = [*check_public_url(options), *check_manifest(manifest)]
    icon_findings, icons = load_icons(manifest, app_package_dir)
    findings.extend(icon_findings)
    language_findings, languages = load_languages(manifest, app_package_dir, commands, validator)
    findings.extend(language_findings)
    report = validator.validate(manifest)
    problems: list[PackageProblem] = []
    covered: set[str] = set()
    for finding in findings:  # an earlier finding may already explain a later one's value
        if not _is_covered(finding.problem.path, covered):
            problems.append(finding.problem)
            covered |= finding.covers
    problems.extend(p for p in report.problems if not _is_covered(p.path, covered))
    if problems:
        raise PackageError(_unique(problems))
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    files = (PackageFile(MANIFEST_NAME, text.encode("utf-8")), *icons, *languages)
    return AppPackage(manifest, files, report.schema_file)


def write_package(package: AppPackage, out: Path) -> Path:
    """Write the zip to ``out`` (creating its folder) and return the path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(package.zip_bytes())
    return out


def _read_template(path: Path) -> Json:
    try:
        template: Json = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PackageError(
            [PackageProblem("/", f"{path} cannot be read ({exc.strerror})")]
        ) from exc
    except json.JSONDecodeError as exc:
        raise PackageError(
            [PackageProblem("/", f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})")]
        ) from exc
    return template


def _is_covered(path: str, covered: set[str]) -> bool:
    """A schema problem at a path one of our own findings already explains (or below it)."""
    return any(path == c or path.startswith(c.rstrip("/") + "/") for c in covered)


def _unique(problems: list[PackageProblem]) -> list[PackageProblem]:
    seen: set[PackageProblem] = set()
    result: list[PackageProblem] = []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result
