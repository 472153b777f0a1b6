"""Signals other apps listen to, so webhooks never imports them."""

from django.dispatch import Signal

# Sent with ``event`` inside the transaction that marks the event processed, after its handlers:
# a receiver's writes commit with that mark, and a receiver's exception fails the attempt (the
# event is retried), so nothing it must do for a processed event is ever lost.
event_processed = Signal()

# Sent with ``events`` (a queryset) inside the transaction that removes those events (retention),
# before they go: what other apps keep for them (subscription messages) goes in the same transaction.
events_pruning = Signal()
