"""Reference views for bench/ingest.py: the ceilings of the stack, measured in the same run.

Bench-only (``DJANGO_SETTINGS_MODULE=bench.reference.settings``): never part of the product.
"""
