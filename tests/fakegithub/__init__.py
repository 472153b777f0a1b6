"""A GitHub REST simulator for tests and benchmarks: ``FakeGitHub`` (see server.py)."""

from .server import FakeGitHub, RecordedRequest

__all__ = ["FakeGitHub", "RecordedRequest"]
