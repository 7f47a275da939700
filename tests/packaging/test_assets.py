"""The committed package inputs: icons that the drawing script reproduces, and npm tools
pinned so the schema (and the Playwright/Playground pins) cannot drift."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from PIL import Image

from bot.packaging.options import DEFAULT_ACCENT_COLOR
from tests.packaging.conftest import NODE_TOOLS, ROOT


def draw_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "draw_icons", ROOT / "appPackage" / "draw_icons.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_icons_are_what_the_drawing_script_draws(tmp_path: Path) -> None:
    draw_icons().main(tmp_path)
    for name in ("color.png", "outline.png"):
        committed = Image.open(ROOT / "appPackage" / name)
        drawn = Image.open(tmp_path / name)
        assert (committed.mode, committed.size) == (drawn.mode, drawn.size), name
        assert committed.tobytes() == drawn.tobytes(), f"{name}: run appPackage/draw_icons.py"


def test_the_default_accent_colour_is_the_icons_background() -> None:
    red, green, blue = draw_icons().ACCENT
    assert f"#{red:02X}{green:02X}{blue:02X}" == DEFAULT_ACCENT_COLOR
    assert Image.open(ROOT / "appPackage" / "color.png").convert("RGB").getpixel((2, 2)) == (
        red,
        green,
        blue,
    )


def test_npm_dependencies_are_pinned_to_exact_versions() -> None:
    package = json.loads((NODE_TOOLS / "package.json").read_text(encoding="utf-8"))
    dependencies: dict[str, str] = package["dependencies"]
    assert "@microsoft/app-manifest" in dependencies
    for name, wanted in dependencies.items():
        assert wanted[:1].isdigit(), f"{name} is pinned to {wanted!r}, not an exact version"


def test_the_lock_file_holds_the_pinned_versions() -> None:
    package = json.loads((NODE_TOOLS / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((NODE_TOOLS / "package-lock.json").read_text(encoding="utf-8"))
    for name, wanted in package["dependencies"].items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == wanted, name
