"""Fault drills: the service under broken dependencies (GitHub, Redis, Celery workers, PostgreSQL).

Fast drills run in the default suite; the ones that start processes are marked
slow; anything too long for CI runs only with RUN_DRILLS=1 (``make drills``).
"""
