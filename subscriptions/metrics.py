"""Prometheus metrics of subscriptions. Labels are bounded: outcomes and states, never URLs or names."""

from prometheus_client import Counter, Histogram

# How one attempt ended.
ATTEMPT_RESULTS = ("delivered", "http_error", "timeout", "connection_error", "refused")
# What became of a message after an attempt.
MESSAGE_OUTCOMES = ("delivered", "retrying", "failed", "held")

SUBSCRIPTION_ATTEMPTS = Counter(
    "subscription_attempts_total", "Attempts at sending a message to a subscription, by result.", ["result"]
)
SUBSCRIPTION_MESSAGES = Counter(
    "subscription_messages_total",
    "Messages after an attempt, by outcome (delivered, retrying, failed for good, held by a disabled subscription).",
    ["outcome"],
)
SUBSCRIPTION_ATTEMPT_DURATION = Histogram(
    "subscription_attempt_duration_seconds",
    "Duration of one attempt (connect to answer).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0),
)


def initialise():
    for result in ATTEMPT_RESULTS:
        SUBSCRIPTION_ATTEMPTS.labels(result)
    for outcome in MESSAGE_OUTCOMES:
        SUBSCRIPTION_MESSAGES.labels(outcome)
