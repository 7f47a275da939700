"""A local Microsoft 365 tenant (Entra ID, Graph, Exchange admin, Bot Connector) for
Mailroom's development and tests. See emulator/README.md."""
