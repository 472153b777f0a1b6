"""Fill a database with N stored events quickly, in SQL, shaped like a busy organization's.

Shared by the benches that measure reads at volume (bench/dashboard.py, bench/events_at_scale.py):
~1.2 KB payloads, 200 repositories, spread over 30 days, 97% processed, 2% skipped,
1% failed; the rollups those events would have produced (deliveries, processing,
with 1% duplicates and 0.5% refused), GitHub calls and cache reads, 20 subscriptions'
messages, and the rate-limit history of three credentials every 5 minutes.
"""

import time
from datetime import UTC, datetime

EVENTS = "push,pull_request,issues,issue_comment,check_run,workflow_run,create,delete,release,star"
BATCH = 200_000
DAYS = 30
REPOSITORIES = 200

EVENT_ROWS = f"""
INSERT INTO webhook_events (
    delivery_id, event, action, hook_id, installation_id, repository_full_name, sender_login, payload, headers,
    status, attempts, last_error, received_at, processing_started_at, next_attempt_at, processed_at, config_id
)
SELECT
    md5(g::text)::uuid::text,
    (string_to_array('{EVENTS}', ','))[1 + g %% 10],
    CASE WHEN g %% 10 IN (1, 2) THEN 'opened' ELSE '' END,
    424242, NULL,
    'bench-org-' || (g %% 20) || '/repo-' || (g %% {REPOSITORIES}),
    'user-' || (g %% 997),
    jsonb_build_object(
        'action', 'opened', 'number', g %% 500,
        'repository', jsonb_build_object('full_name', 'bench-org-' || (g %% 20) || '/repo-' || (g %% {REPOSITORIES})),
        'sender', jsonb_build_object('login', 'user-' || (g %% 997)),
        'body', repeat(md5(g::text), 32)
    ),
    '{{"X-GitHub-Event": "push"}}'::jsonb,
    CASE WHEN g %% 100 = 0 THEN 'failed' WHEN g %% 100 < 3 THEN 'skipped' ELSE 'processed' END,
    CASE WHEN g %% 100 = 0 THEN 5 ELSE 1 END,
    CASE WHEN g %% 100 = 0 THEN E'Traceback (most recent call last):\\n  File "x.py"\\nRuntimeError: boom ' || g
         ELSE '' END,
    %(now)s - (g::float8 / %(count)s) * interval '{DAYS} days',
    NULL, NULL,
    CASE WHEN g %% 100 >= 3 THEN %(now)s - (g::float8 / %(count)s) * interval '{DAYS} days' + interval '400 ms' END,
    NULL
FROM generate_series(%(first)s, %(last)s) AS g
"""

# The rollups the same events would have written, minute buckets for 2 days and hour buckets for 8.
ROLLUP_ROWS = """
INSERT INTO rollup_counts (series, span, start, label, outcome, detail, count)
SELECT series, %(span)s, start, label, outcome, detail, sum(n) FROM (
    SELECT 'deliveries' AS series, (extract(epoch FROM received_at)::bigint / %(span)s) * %(span)s AS start,
           event AS label, CASE WHEN status = 'skipped' THEN 'skipped' ELSE 'queued' END AS outcome, '' AS detail,
           count(*) AS n
      FROM webhook_events WHERE received_at >= %(since)s GROUP BY 2, 3, 4
    UNION ALL
    SELECT 'processing', (extract(epoch FROM received_at)::bigint / %(span)s) * %(span)s, event,
           status, CASE WHEN status = 'processed' THEN '0.5' ELSE '' END, count(*)
      FROM webhook_events WHERE received_at >= %(since)s AND status IN ('processed', 'failed') GROUP BY 2, 3, 4, 5
) AS counted GROUP BY 1, 2, 3, 4, 5, 6
"""

STEADY_ROWS = """
INSERT INTO rollup_counts (series, span, start, label, outcome, detail, count)
SELECT series, %(span)s, start, label, outcome, detail, n
FROM generate_series(%(since)s, %(until)s - 1, %(span)s) AS start,
     (VALUES ('deliveries', 'push', 'duplicate', '', 3), ('deliveries', 'push', 'rejected', 'bad_signature', 1),
             ('github_calls', 'core', '2xx', '', 40), ('github_calls', 'core', '304', '', 25),
             ('cache_reads', 'pulls', 'HIT', '', 300), ('cache_reads', 'pulls', 'REVALIDATED', '', 20),
             ('cache_reads', 'pulls', 'MISS', '', 5)) AS steady(series, label, outcome, detail, n)
UNION ALL
SELECT 'subscription_messages', %(span)s, start, s::text, 'delivered', '', 10
FROM generate_series(%(since)s, %(until)s - 1, %(span)s) AS start, generate_series(1, 20) AS s
"""

RATE_LIMIT_ROWS = f"""
INSERT INTO github_rate_limits (token_hash, resource, "limit", remaining, used, reset_at, observed_at, source)
SELECT credential, 'core', 5000, 5000 - (extract(epoch FROM t)::bigint / 300 %% 60) * 80, 0, t + interval '1 hour', t,
       'headers'
FROM generate_series(%(now)s - interval '{DAYS} days', %(now)s, interval '5 minutes') AS t,
     (VALUES (repeat('a', 64)), ('app:1'), ('installation:7')) AS credentials(credential)
"""


# The receipts a running service holds: the last WEBHOOK_DELIVERY_DEDUP_DAYS (default 7) of deliveries.
RECEIPT_ROWS = """
INSERT INTO webhook_delivery_receipts (delivery_id, received_at)
SELECT delivery_id, received_at FROM webhook_events WHERE received_at >= %(now)s - interval '7 days'
"""


def fill(database_url, count, *, log=print):
    """Empty the tables, then fill them (on a connection of its own); returns seconds taken.

    When ``webhook_events`` is partitioned by day, the days filled are made
    first (Django must be set up), as a service running for 30 days has them.
    """
    import psycopg

    started = time.perf_counter()
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as connection:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE webhook_events, webhook_delivery_receipts, rollup_counts, github_rate_limits "
                "RESTART IDENTITY CASCADE"
            )
        connection.commit()
        _make_days(now)  # past days are cut from the archive while it is empty
        _fill(connection, count, now, log)
    return time.perf_counter() - started


def _make_days(now):
    from datetime import timedelta

    from bigtables import partitions

    if partitions.is_partitioned("webhook_events"):
        partitions.make_days("webhook_events", "received_at", now - timedelta(days=DAYS + 1), now)


def _fill(connection, count, now, log):
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for first in range(1, count + 1, BATCH):
            last = min(first + BATCH - 1, count)
            cursor.execute(EVENT_ROWS, {"now": now, "count": count, "first": first, "last": last})
            connection.commit()
            log(f"  {last:,} events stored ({time.perf_counter() - started:.0f} s)")
        until = int(now.timestamp()) // 3600 * 3600 + 3600
        for span, days in ((60, 2), (3600, 8)):
            since = until - days * 86400
            cursor.execute(ROLLUP_ROWS, {"span": span, "since": datetime.fromtimestamp(since, UTC)})
            cursor.execute(STEADY_ROWS, {"span": span, "since": since, "until": until})
        cursor.execute(RATE_LIMIT_ROWS, {"now": now})
        cursor.execute(RECEIPT_ROWS, {"now": now})
        connection.commit()
    connection.autocommit = True
    with connection.cursor() as cursor:
        for table in ("webhook_events", "webhook_delivery_receipts", "rollup_counts", "github_rate_limits"):
            cursor.execute(f"VACUUM ANALYZE {table}")
