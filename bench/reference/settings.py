"""The product's settings plus the reference routes; nothing else changes."""

from config.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.reference.urls"
