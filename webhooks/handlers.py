"""Event handlers, registered by event name or ``event.action``.

    from webhooks.handlers import on

    @on("issues.opened")
    def greet(event): ...

A handler receives the stored WebhookEvent and runs inside the transaction
that marks the event processed, so its writes and that mark commit together.
Handlers must be idempotent: an event can be processed again (retries,
reprocess, a redelivered task).
"""

from collections import defaultdict

_registry = defaultdict(list)


def on(*names):
    def register(handler):
        for name in names:
            if handler not in _registry[name]:
                _registry[name].append(handler)
        return handler

    return register


def handlers_for(event, action=""):
    handlers = list(_registry.get(event, ()))
    if action:
        handlers += _registry.get(f"{event}.{action}", ())
    return handlers


def registered_events():
    """Event names with at least one handler (for any action)."""
    return sorted({name.split(".", 1)[0] for name, handlers in _registry.items() if handlers})
