"""The body of a message: the same bytes at every attempt (its signature covers them)."""

import json

PING_ZEN = "Keep it logically awesome."


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def message_type(event, action):
    return f"{event}.{action}" if action else event


def message_body(message, event, subscription):
    """``{"type", "timestamp", "data"}``: the event as GitHub delivered it, or a ping."""
    if event is None:
        body = {
            "type": message.type,
            "timestamp": _iso(message.created_at),
            "data": {"subscription": subscription.name, "zen": PING_ZEN},
        }
    else:
        body = {
            "type": message.type,
            "timestamp": _iso(event.received_at),
            "data": {
                "delivery_id": event.delivery_id,
                "event": event.event,
                "action": event.action or None,
                "repository": event.repository_full_name or None,
                "installation_id": event.installation_id,
                "payload": event.payload,
            },
        }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)
