"""Shared pytest setup. Fixtures that start the local tenant live in emulator.pytest_plugin."""

pytest_plugins = ["emulator.pytest_plugin"]
