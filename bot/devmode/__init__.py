"""``mailroom dev``: Mailroom on its embedded default, with no tenant and no Azure.

Three processes, each in its own process group, started and stopped together by
``runner.run_dev``:

* the tenant emulator (``python -m emulator``) with the demo seed, state in
  ``./.mailroom/emulator``;
* the bot (``python -m bot.devmode.botserver``: ``mailroom serve`` plus the development
  token source) on 127.0.0.1, pointed at the emulator, SQLite in ``./.mailroom/dev.db``;
* when Node.js is present, the Microsoft 365 Agents Playground (npm, pinned in
  ``tools/node``), kept on loopback, telemetry off, as the demo user you picked.

Modules: ``runner`` (the orchestration, ``run_dev``), ``playground_config`` (who you are;
the Playground's mock tenant file), ``node`` (finding Node.js, installing and starting the
Playground), ``environment`` (the bot's environment), ``processes`` (child process groups,
stop signals), ``readiness`` (waiting until each one answers), ``botserver`` (the bot
process). ``python -m bot.devmode`` is ``mailroom dev``.
"""
