"""The answers to commands and card verbs: one module per group, named after the verbs'
prefix (``send.*`` → ``send.py``, ``approval.*`` → ``approvals.py``, ``request.*`` →
``requests.py``...). Each handler is a plain function ``(deps, turn, payload)`` where
``deps`` is the module's own ``Deps`` (bound once at startup, ``bot/teams/routes.py``) and
``payload`` the verb's type from ``cards.verbs``. Handlers call the flow and return a card;
permissions are never read from the card."""
