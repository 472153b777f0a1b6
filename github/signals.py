"""Signals of the GitHub client, for apps that count or react without the client importing them."""

from django.dispatch import Signal

# Every response GitHub sends, retried ones too, and every request that got none.
# Arguments: method, template (the endpoint template), status ("200", "timeout", "connection_error").
response_received = Signal()
